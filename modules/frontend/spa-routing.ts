/**
 * The viewer-request CloudFront Function (runtime `cloudfront-js-2.0`) of the default behaviour: a
 * path whose last segment has no file extension is an app route (`/`, `/orders/42`) and is served
 * the index document; a path with an extension (`/favicon.ico`, `/assets/app.3f2a.js`) is served
 * as is, so a missing file stays a 404. Other behaviours (the API) never run it, which is why the
 * distribution has no error-page rewrites that would also turn the API's 404s into 200s.
 */
export function spaRoutingCode(indexDocument: string): string {
  if (!/^[A-Za-z0-9_.-]+\.html$/.test(indexDocument)) {
    throw new Error(`Frontend: indexDocument must be an HTML file name such as index.html, got "${indexDocument}"`);
  }
  return [
    "function handler(event) {",
    "  var request = event.request;",
    '  var last = request.uri.substring(request.uri.lastIndexOf("/") + 1);',
    '  if (last.indexOf(".") === -1) {',
    `    request.uri = "/${indexDocument}";`,
    "  }",
    "  return request;",
    "}",
    "",
  ].join("\n");
}
