/**
 * Offset pagination as GitLab serves it: `page`/`per_page` (default 20, at most 100),
 * `x-*` headers and a `Link` header with prev/next/first/last. gitbeaker follows
 * `rel="next"`, so a list without it ends after one page.
 */
import type { ApiRequest, ApiResponse } from './router.ts';

const DEFAULT_PER_PAGE = 20;
const MAX_PER_PAGE = 100;

export function paginate<T>(req: ApiRequest, baseUrl: string, items: readonly T[], render: (item: T) => unknown): ApiResponse {
  const perPage = clamp(positiveInt(req.query.get('per_page')) ?? DEFAULT_PER_PAGE, 1, MAX_PER_PAGE);
  const page = positiveInt(req.query.get('page')) ?? 1;
  const totalPages = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);

  const linkTo = (p: number) => {
    const query = new URLSearchParams(req.query);
    query.set('page', String(p));
    query.set('per_page', String(perPage));
    return `<${baseUrl}/api/v4/${req.path.replace(/^\//, '')}?${query}>`;
  };
  const links = [
    ...(page > 1 ? [`${linkTo(page - 1)}; rel="prev"`] : []),
    ...(page < totalPages ? [`${linkTo(page + 1)}; rel="next"`] : []),
    `${linkTo(1)}; rel="first"`,
    `${linkTo(totalPages)}; rel="last"`,
  ];
  return {
    status: 200,
    json: slice.map(render),
    headers: {
      'x-page': String(page),
      'x-per-page': String(perPage),
      'x-prev-page': page > 1 ? String(page - 1) : '',
      'x-next-page': page < totalPages ? String(page + 1) : '',
      'x-total': String(items.length),
      'x-total-pages': String(totalPages),
      link: links.join(', '),
    },
  };
}

function positiveInt(text: string | null): number | undefined {
  if (text === null || !/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 ? n : undefined;
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}
