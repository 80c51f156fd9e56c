# tessera-idp serve end to end: a browser's walk through the login page
# (curl + python3), the tokens checked by `tessera inspect`.
TESTS += tests/idp_serve.sh
dist_noinst_SCRIPTS += tests/idp_serve.sh
