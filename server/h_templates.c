/* Templates: GET /templates and GET /templates/{id}. */
#include <string.h>

#include "catalog.h"
#include "decimal.h"
#include "handlers.h"

void
h_templates_list(struct req *r)
{
	json_t *items = json_array();
	const struct template *tp;
	char threshold[32];

	for (size_t i = 0; (tp = catalog_template(i)) != NULL; i++)
		json_array_append_new(
		    items, json_pack("{s:s, s:s, s:s}", "id", tp->id, "title",
				     tp->title, "threshold",
				     dec_format(tp->threshold, 2, threshold,
						sizeof threshold)));
	http_reply_json(r, 200,
			json_pack("{s:o, s:n}", "items", items, "next"));
}

void
h_templates_get(struct req *r)
{
	const struct template *tp = catalog_find(r->match.params[0].text);

	if (tp == NULL) {
		http_reply_error(r, 404, "not_found",
				 "there is no template \"%s\"",
				 r->match.params[0].text);
		return;
	}
	http_reply_json(r, 200, template_to_json(tp));
}
