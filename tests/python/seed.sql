-- Data for the third-party client check (tests/python/run.sh). Users are added before seeds.
CREATE DATABASE PYDB COMMENT = 'Python client check';
CREATE TABLE PYDB.PUBLIC.ITEMS (ID NUMBER(38,0) NOT NULL, NAME VARCHAR(100), PRICE NUMBER(10,2));
INSERT INTO PYDB.PUBLIC.ITEMS VALUES (1, 'apple', 1.25), (2, 'banana', 0.5), (3, 'cherry', NULL);
GRANT ROLE ACCOUNTADMIN TO USER PYUSER;
ALTER USER PYUSER SET DEFAULT_ROLE = ACCOUNTADMIN;
