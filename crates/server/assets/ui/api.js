// The HTTP client both pages share: JSON over fetch with a bearer credential. A failure becomes
// an ApiError carrying the server's own code and message (Nango's envelope
// {"error":{"code","message","errors"}}), so the pages show what the server said, not a guess.

/** A failed API call: `status` 0 means the server could not be reached. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** The message of an error envelope: its message, else its field errors, else its code. */
function describe(status, error) {
  if (!error || typeof error !== 'object') return `The API answered HTTP ${status}.`;
  if (typeof error.message === 'string' && error.message) return error.message;
  if (Array.isArray(error.errors) && error.errors.length) {
    return error.errors
      .map((issue) => (issue.path && issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
      .join('; ');
  }
  return `The API answered HTTP ${status} (${error.code || 'no error code'}).`;
}

/**
 * Calls the API at `base` (no trailing slash) and answers the parsed JSON body (null when empty).
 * `token` is the secret key or a connect-session token; `query` an object or URLSearchParams.
 */
export async function request(base, token, method, path, { body, query, headers = {} } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, cache: 'no-store' };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const search = query ? new URLSearchParams(query).toString() : '';
  const url = `${base}${path}${search ? `?${search}` : ''}`;
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new ApiError(0, 'network', `Cannot reach the Snowgate API at ${base}: ${error.message}`);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      if (response.ok)
        throw new ApiError(response.status, 'invalid_response', `${method} ${path} did not answer JSON.`);
    }
  }
  if (!response.ok) {
    const error = data && data.error;
    throw new ApiError(
      response.status,
      (error && error.code) || `http_${response.status}`,
      describe(response.status, error),
    );
  }
  return data;
}
