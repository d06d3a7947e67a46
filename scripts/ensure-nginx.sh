#!/usr/bin/env bash
# The deployment-recipe test (test/deploy/nginx.test.ts) runs nginx in front of the depot.
exec bash "$(dirname "$0")/ensure-package.sh" nginx-light nginx "the nginx deployment test"
