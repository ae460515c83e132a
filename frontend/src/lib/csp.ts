// The web app's Content-Security-Policy: scripts only from this origin or carrying the
// request's nonce (no 'unsafe-inline', no 'unsafe-eval' outside `next dev`), nothing framed,
// nothing fetched from elsewhere (fonts are bundled, the API is this origin's /api/*).
// Style attributes (React's style={...} on the risk bar and heatmap viewer) need
// style-src-attr 'unsafe-inline'; <style> and <link> stay nonce/self only.

export function contentSecurityPolicy(nonce: string, options: { dev: boolean; tls: boolean }): string {
  const directives = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${options.dev ? " 'unsafe-eval'" : ""}`,
    `style-src 'self' 'nonce-${nonce}'`,
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ];
  if (options.tls) directives.push("upgrade-insecure-requests");
  return directives.join("; ");
}
