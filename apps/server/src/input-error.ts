/**
 * A request the server refuses before it changes anything. `field` is a JSON pointer into the request
 * (`/edits/0/label`), so a client can tell exactly which part to fix; the HTTP layer turns this into a 4xx
 * response with the same code and field.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly code: string;
  readonly field: string;
  readonly statusCode: number;

  constructor(code: string, field: string, message: string, statusCode = 400) {
    super(`${field}: ${message}`);
    this.code = code;
    this.field = field;
    this.statusCode = statusCode;
  }
}
