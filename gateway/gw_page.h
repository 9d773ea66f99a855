/* gw_page: the HTML page served at GET /. For now a short Vietnamese page that
 * names the service and points to the API; the full web page replaces it. */
#ifndef GW_PAGE_H
#define GW_PAGE_H

/* The page as UTF-8 HTML; static, never freed. */
const char *gw_page_html(void);

#endif
