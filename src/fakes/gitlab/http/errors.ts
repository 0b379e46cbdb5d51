/**
 * GitLab's error bodies, as its API helpers (lib/api/helpers.rb) render them: a JSON
 * object whose `message` is a string ("404 Project Not Found"), an array or a map of
 * attribute -> messages. gitbeaker surfaces `message` as the error's description.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { message: unknown } | { error: string; [field: string]: string },
  ) {
    super(typeof (body as { message?: unknown }).message === 'string' ? (body as { message: string }).message : JSON.stringify(body));
  }
}

export const badRequest = (reason: string) => new ApiError(400, { message: `400 Bad request - ${reason}` });
/** Grape's own parameter validation (`requires :ref`) answers with `error`, not `message`. */
export const missingParam = (name: string) => new ApiError(400, { error: `${name} is missing` });
export const unauthorized = () => new ApiError(401, { message: '401 Unauthorized' });
export const forbidden = (reason?: string) => new ApiError(403, { message: reason ? `403 Forbidden - ${reason}` : '403 Forbidden' });
export const notFound = (resource?: string) => new ApiError(404, { message: resource ? `404 ${resource} Not Found` : '404 Not found' });
export const notAllowed = () => new ApiError(405, { message: '405 Method Not Allowed' });
export const notAcceptable = (reason?: string) => new ApiError(406, { message: reason ?? '406 Not Acceptable' });
export const conflict = (message: unknown) => new ApiError(409, { message });
/** `render_api_error!(message, status)`: the message as given, without a status prefix. */
export const apiError = (status: number, message: unknown) => new ApiError(status, { message });
