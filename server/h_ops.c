/* Operations: GET /healthz and GET /metrics. */
#include "handlers.h"

#include <stdlib.h>

#include "metrics.h"

DB_STMT(stmt_health, 0, "SELECT 1");

static void
h_healthz_done(struct req *r, const PGresult *res)
{
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		http_reply_db_unavailable(r);
		return;
	}
	http_reply_json(r, 200,
			json_pack("{s:s, s:s}", "status", "ok", "db", "ok"));
}

void
h_healthz(struct req *r)
{
	req_query(r, &stmt_health, NULL, h_healthz_done);
}

void
h_metrics(struct req *r)
{
	size_t len;
	char *text = metrics_render(r->srv->metrics, r->srv, &len);

	http_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8",
			text, len);
	free(text);
}
