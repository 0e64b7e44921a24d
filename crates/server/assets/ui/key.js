// Reads a pasted private key in the browser to show its public key and fingerprint: the value
// Snowflake shows as RSA_PUBLIC_KEY_FP, "SHA256:" + base64(SHA-256(SubjectPublicKeyInfo DER)).
// Computed with WebCrypto; the key never leaves the page except in the request to the API.

const PEM = /-----BEGIN ((?:ENCRYPTED |RSA )?PRIVATE KEY)-----([\s\S]*?)-----END \1-----/;
const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };

function base64ToBytes(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

function bytesToBase64(bytes) {
  let binary = '';
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** DER length octets. */
function derLength(length) {
  if (length < 0x80) return [length];
  const octets = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  return [0x80 | octets.length, ...octets];
}

/** Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo, the form WebCrypto imports. */
function pkcs1ToPkcs8(pkcs1) {
  const version = [0x02, 0x01, 0x00];
  const rsaEncryption = [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];
  const octetString = [0x04, ...derLength(pkcs1.length)];
  const contentLength = version.length + rsaEncryption.length + octetString.length + pkcs1.length;
  const header = [0x30, ...derLength(contentLength), ...version, ...rsaEncryption, ...octetString];
  const out = new Uint8Array(header.length + pkcs1.length);
  out.set(header);
  out.set(pkcs1, header.length);
  return out;
}

/**
 * What kind of key `text` holds: `empty`, `encrypted` (its fingerprint needs the passphrase),
 * `plain` (PKCS#8 or PKCS#1) or `unknown`.
 */
export function keyKind(text) {
  const normalised = text.replace(/\\n/g, '\n').trim();
  if (!normalised) return 'empty';
  const match = PEM.exec(normalised);
  if (!match) return 'unknown';
  if (match[1].startsWith('ENCRYPTED') || /Proc-Type:\s*4,ENCRYPTED/.test(match[2])) return 'encrypted';
  return 'plain';
}

/**
 * The public key (base64 DER, as `ALTER USER … SET RSA_PUBLIC_KEY` takes it), its fingerprint
 * and modulus size, of an unencrypted PEM private key. Throws when the browser cannot read it.
 */
export async function publicKeyOf(text) {
  const match = PEM.exec(text.replace(/\\n/g, '\n'));
  if (!match) throw new Error('no -----BEGIN PRIVATE KEY----- block');
  const der = base64ToBytes(match[2].replace(/\s+/g, ''));
  const pkcs8 = match[1] === 'RSA PRIVATE KEY' ? pkcs1ToPkcs8(der) : der;
  const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, RSA, true, ['sign']);
  const { n, e } = await crypto.subtle.exportKey('jwk', privateKey);
  const publicKey = await crypto.subtle.importKey('jwk', { kty: 'RSA', n, e, ext: true }, RSA, true, ['verify']);
  const spki = await crypto.subtle.exportKey('spki', publicKey);
  const digest = await crypto.subtle.digest('SHA-256', spki);
  return {
    publicKey: bytesToBase64(spki),
    fingerprint: `SHA256:${bytesToBase64(digest)}`,
    bits: privateKey.algorithm.modulusLength,
  };
}

/** Whether this page may use WebCrypto (only secure contexts: HTTPS or loopback). */
export function canReadKeys() {
  return Boolean(globalThis.crypto && crypto.subtle);
}
