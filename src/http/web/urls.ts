/** Where each page lives. Every web path has a second segment that is no pkg(5) operation, so none shadows the protocol. */
const seg = encodeURIComponent

export const urls = {
  home: '/',
  css: '/static/depot.css',
  icon: '/static/icon.svg',
  publisher: (pub: string, query = ''): string => `/${seg(pub)}/packages${query === '' ? '' : `?${query}`}`,
  package: (pub: string, stem: string, version?: string): string =>
    `/${seg(pub)}/package/${stem.split('/').map(seg).join('/')}${version === undefined ? '' : `?version=${seg(version)}`}`,
  search: (pub: string | null, query = ''): string => `${pub === null ? '' : `/${seg(pub)}`}/find${query === '' ? '' : `?${query}`}`,
  feed: (pub: string | null): string => `${pub === null ? '' : `/${seg(pub)}`}/feed`,
  p5i: (pub: string): string => `/${seg(pub)}/publisher/0/`,
  manifest: (pub: string, stem: string, version: string): string => `/${seg(pub)}/manifest/0/${seg(stem)}@${seg(version)}`
}
