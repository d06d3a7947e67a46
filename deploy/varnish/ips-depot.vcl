vcl 4.1;
# ips-depot behind Varnish: a caching tier that absorbs reads and keeps
# serving the last catalog while the depot is down or restarting.
# Replace @DEPOT_HOST@ and @DEPOT_PORT@ (the depot's server.listen).
#
#   manifests, payloads   immutable (the depot says max-age one year): cached
#   catalog.attrs, update logs
#                         no-cache: kept, and revalidated with their ETag on
#                         every use (a 304 from the depot costs no body)
#   catalog parts, search the depot's max-age (search at most a minute); a
#                         client that asks again with "Cache-Control:
#                         max-age=0" or "no-cache" (as the pkg client does
#                         when a part does not match catalog.attrs, and
#                         pkgrecv and "pkg refresh --full" always do) gets
#                         a fresh copy while the depot is up, and the
#                         cached one while it is down
#   writes, admin/0, index/0, the REST API, tokens, health
#                         straight to the depot, never cached
# While the depot answers its probe (/readyz, every 500 ms) nothing stale is
# served; once a probe fails, every cached answer is served for up to a day
# (grace). Between the depot stopping and that probe, a request the depot
# does not answer is asked again of the cache (one restart), so it gets the
# cached copy if there is one, and 503 only if there is none.
import std;

backend ips_depot {
    .host = "@DEPOT_HOST@";
    .port = "@DEPOT_PORT@";
    .probe = {
        .url = "/readyz";
        # Sick at the first failed probe, healthy again after two good ones.
        .interval = 500ms;
        .timeout = 1s;
        .window = 2;
        .threshold = 2;
        .initial = 2;
    }
}

sub vcl_recv {
    unset req.http.X-Ips-Lookup;
    if (req.restarts == 0) {
        unset req.http.X-Ips-Depot-Failed;
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # pkg(5) writes and admin use GET too.
    if (req.url ~ "^/([A-Za-z0-9][A-Za-z0-9.-]*/)?(open|append|add|close|abandon|admin|index)/"
        || req.url ~ "^/(api|\.well-known)/"
        || req.url ~ "^/(healthz|readyz)") {
        return (pass);
    }
    # auth-proxy sends a token with every request: such requests are a publisher's, not the public's.
    if (req.http.Authorization) {
        return (pass);
    }
    unset req.http.Cookie;
    # One variant per coding the depot makes, and its zstd kept (Varnish would ask the depot for gzip only).
    if (req.http.Accept-Encoding ~ "(^|[ ,])zstd($|[ ,;])" && req.http.Accept-Encoding !~ "zstd;\s*q=0(\.0*)?($|[ ,])") {
        set req.http.Accept-Encoding = "zstd";
    } elsif (req.http.Accept-Encoding ~ "(^|[ ,])gzip($|[ ,;])" && req.http.Accept-Encoding !~ "gzip;\s*q=0(\.0*)?($|[ ,])") {
        set req.http.Accept-Encoding = "gzip";
    } else {
        unset req.http.Accept-Encoding;
    }
    if (req.http.Accept-Encoding) {
        set req.http.X-Ips-Accept-Encoding = req.http.Accept-Encoding;
    }
    # Only a lookup is asked of the cache again when the depot fails it: never a pass (a write may not be sent twice).
    set req.http.X-Ips-Lookup = "1";
    if (req.restarts > 0 && req.http.X-Ips-Depot-Failed) {
        # The depot did not answer: whatever the cache holds, however old (within grace), is the answer.
        # (req.grace and req.hash_always_miss outlive a restart: the first pass set them for a depot that looked healthy.)
        set req.hash_always_miss = false;
        set req.grace = 24h;
        return (hash);
    }
    # A forced refresh asks the depot, but only a depot that is up: a sick one would make it a 503,
    # which pkg5's pull code takes for an empty catalog (pkgrecv "mirrors" nothing and exits 0).
    if ((req.http.Cache-Control ~ "no-cache|max-age=0" || req.http.Pragma ~ "no-cache") && std.healthy(req.backend_hint)) {
        set req.hash_always_miss = true;
    }
    # A healthy depot is asked (conditionally) rather than a stale copy served.
    if (std.healthy(req.backend_hint)) {
        set req.grace = 0s;
    }
    return (hash);
}

# Each coding its own object: Vary alone is not enough while Varnish's own gzip handling rewrites Accept-Encoding.
sub vcl_hash {
    if (req.http.X-Ips-Accept-Encoding) {
        hash_data(req.http.X-Ips-Accept-Encoding);
    }
}

sub vcl_backend_fetch {
    unset bereq.http.X-Ips-Lookup;
    unset bereq.http.X-Ips-Depot-Failed;
    if (bereq.http.X-Ips-Accept-Encoding) {
        set bereq.http.Accept-Encoding = bereq.http.X-Ips-Accept-Encoding;
    } else {
        unset bereq.http.Accept-Encoding;
    }
    unset bereq.http.X-Ips-Accept-Encoding;
}

# The depot did not answer (refused, reset, timed out): marked, so that vcl_deliver tries the cache, and never cached.
sub vcl_backend_error {
    set beresp.http.X-Ips-Fetch-Failed = "1";
    set beresp.ttl = 0s;
    set beresp.grace = 0s;
    set beresp.uncacheable = true;
}

sub vcl_backend_response {
    # The depot's bytes as they are: never gunzipped or gzipped here.
    set beresp.do_gunzip = false;
    set beresp.do_gzip = false;
    set beresp.grace = 24h;
    set beresp.keep = 7d;
    if (bereq.url ~ "/catalog/1/(catalog\.attrs|update\.[^/]*)$" && beresp.status == 200) {
        # Not 0s: Varnish does not keep an object whose TTL is zero, and only a kept one is revalidated.
        set beresp.ttl = 0.001s;
        return (deliver);
    }
    if (bereq.url ~ "/search/[01]/" && beresp.ttl > 60s) {
        set beresp.ttl = 60s;
    }
}

sub vcl_deliver {
    # The depot went away after the last probe: ask the cache once more, for what it kept.
    if (resp.status == 503 && req.restarts == 0 && req.http.X-Ips-Lookup && resp.http.X-Ips-Fetch-Failed) {
        set req.http.X-Ips-Depot-Failed = "1";
        return (restart);
    }
    unset resp.http.X-Ips-Fetch-Failed;
    if (obj.hits > 0) {
        set resp.http.X-Cache = "hit";
    } else {
        set resp.http.X-Cache = "miss";
    }
    unset resp.http.X-Ips-Accept-Encoding;
}
