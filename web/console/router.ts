// Hash routes: `#/<page>?<params>`, so the URL carries a page's state (query, range...) and a reload restores it.

export interface Route {
  page: string;
  params: URLSearchParams;
}

export function currentRoute(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const q = hash.indexOf('?');
  return {
    page: q < 0 ? hash : hash.slice(0, q),
    params: new URLSearchParams(q < 0 ? '' : hash.slice(q + 1)),
  };
}

export function routeHref(page: string, params?: URLSearchParams | Record<string, string>): string {
  const p = params instanceof URLSearchParams ? params : new URLSearchParams(params);
  // Spaces as %20 rather than '+': the URL stays readable for PromQL, which uses '+' itself.
  const qs = p.toString().replace(/\+/g, '%20');
  return `#/${page}${qs ? `?${qs}` : ''}`;
}

/** Rewrites the current URL's params without a navigation (no hashchange, the page stays mounted). */
export function replaceParams(page: string, params: URLSearchParams): void {
  history.replaceState(null, '', routeHref(page, params));
}
