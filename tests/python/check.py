"""A third-party SQL API v2 client (async-snowflake, from PyPI) against `snowgate emulator`.

Usage: check.py BASE_URL ACCOUNT USER PRIVATE_KEY_PATH. Authenticates with a key-pair JWT the
client builds itself, runs SHOW and SELECT statements (one result spread over several
partitions) and asserts what comes back. Prints `N passed, N failed` last.
"""

import asyncio
import sys

from async_snowflake import SnowflakeClient, SnowflakeJWTAuthClient


async def main(base_url: str, account: str, user: str, key_path: str) -> int:
    auth = SnowflakeJWTAuthClient(account=account, user=user, private_key_path=key_path)
    passed = failed = 0

    def check(name: str, condition: bool, detail: object = "") -> None:
        nonlocal passed, failed
        if condition:
            passed += 1
            print(f"ok   {name}")
        else:
            failed += 1
            print(f"FAIL {name}: {detail}")

    async with await SnowflakeClient.create(base_url, auth) as client:
        databases = await client.query.execute("SHOW DATABASES")
        names = [row[databases.columns.index("name")] for row in databases.rows]
        check("SHOW DATABASES lists PYDB", "PYDB" in names, names)
        check("SHOW columns are lower case", databases.columns[:2] == ["created_on", "name"], databases.columns)

        tables = await client.query.execute('SHOW TABLES IN SCHEMA "PYDB"."PUBLIC"')
        table_names = [row[tables.columns.index("name")] for row in tables.rows]
        check("SHOW TABLES IN SCHEMA lists ITEMS", table_names == ["ITEMS"], table_names)

        items = await client.query.execute("SELECT ID, NAME, PRICE FROM PYDB.PUBLIC.ITEMS ORDER BY ID")
        check("SELECT columns", items.columns == ["ID", "NAME", "PRICE"], items.columns)
        expected = [["1", "apple", "1.25"], ["2", "banana", "0.50"], ["3", "cherry", None]]
        check("SELECT rows and encodings", items.rows == expected, items.rows)

        who = await client.query.execute("SELECT CURRENT_USER(), CURRENT_ROLE()")
        check("the JWT user is the session user", who.rows == [[user.upper(), "ACCOUNTADMIN"]], who.rows)

        # A result over several partitions, submitted async and fetched through every partition.
        big = "SELECT A.ID * 100 + B.ID AS N, A.NAME FROM PYDB.PUBLIC.ITEMS A, PYDB.PUBLIC.ITEMS B, PYDB.PUBLIC.ITEMS C ORDER BY N"
        handle = await client.query.execute_async(big)
        for _ in range(100):
            status = await client.query.get_status(handle)
            if status.state != "running":
                break
            await asyncio.sleep(0.1)
        result = await client.query.get_results(handle)
        check("all partitions fetched", len(result.rows) == 27 and result.row_count == 27, result.row_count)

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:5])))
