// User-facing sentences about the backend link, shared by the transport selection and the connection banner.

export const MISSING_TOKEN_MESSAGE = 'Open the URL printed by `mailroom serve`; it contains the access token.'
