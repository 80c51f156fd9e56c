/* tessera pool runbook: the PowerShell an SfB administrator runs on the
 * pool for its stage. The cmdlets, parameters and the reasons for each step
 * are from ../shared/sfb-protocol.md section 1.1 (server configuration per
 * pool, at service scope) and section 8 items 8 (the gate cannot stop SIP:
 * Edge and Registrar) and 9 (clients choose passive only once the pool
 * offers nothing else).
 *
 * Every value printed into a command is single-quoted for PowerShell. User
 * names come from what clients sent (NTLM type 3, Basic): a name with a
 * byte outside printable ASCII (PowerShell also takes typographic quotes as
 * quotes) is not printed as a command at all, so a pasted runbook cannot run
 * anything a client chose. */
#include <stdio.h>
#include <string.h>

#include "cli_pool.h"

/* Prints text as a PowerShell single-quoted string; false (nothing
 * printed) if it holds a byte that is not printable ASCII. */
static bool ps_quoted(FILE *f, const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	fputc('\'', f);
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\'')
			fputc('\'', f);
		fputc(*p, f);
	}
	fputc('\'', f);
	return true;
}

/* Prints "prefix'value'suffix\n", or a comment saying why it cannot. */
static void ps_line(const char *prefix, const char *value, const char *suffix)
{
	fputs(prefix, stdout);
	if (!ps_quoted(stdout, value)) {
		printf("<unprintable value left out>\n");
		return;
	}
	printf("%s\n", suffix);
}

/* A SIP URI for Revoke-CsClientCertificate -Identity: sip:user@domain.
 * DOMAIN\user (NTLM) is not one: the administrator has to look it up. */
static void revoke_line(const char *user, const char *kind)
{
	char sip[TS_CUTOVER_NAME_MAX + 8];

	for (const unsigned char *p = (const unsigned char *)user; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e) {
			printf("# (a %s user name with non-printable bytes left out; see tessera "
			       "report)\n",
			       kind);
			return;
		}
	if (strncmp(user, "sip:", 4) == 0 || strchr(user, '@') == NULL) {
		snprintf(sip, sizeof sip, "%s", user);
	} else {
		snprintf(sip, sizeof sip, "sip:%s", user);
	}
	if (strchr(sip, '@') == NULL)
		printf("# %s is not a SIP address: find the user's SIP URI (Get-CsUser) and run:\n# ",
		       user);
	printf("Revoke-CsClientCertificate -Identity ");
	ps_quoted(stdout, sip);
	printf("   # minted by %s\n", kind);
}

static void print_revokes(struct ts_cli_pool *ctx, const char *pool)
{
	struct ts_revoke_list certprov = {0}, minted = {0};
	ts_err err;

	if ((err = ts_cutover_revoke_candidates(ctx->store, pool, true, ctx->now, &certprov)) !=
		    TS_ERR_OK ||
	    (err = ts_cutover_revoke_candidates(ctx->store, pool, false, ctx->now, &minted)) !=
		    TS_ERR_OK) {
		printf("# (cannot read the ticket records: %s, %s)\n", ts_strerror(err),
		       ts_errname(err));
		goto out;
	}
	printf("# Users whose certificate the gate saw provisioned (CertProv) with a pool\n"
	       "# ticket minted by a legacy method: %zu.\n",
	       certprov.n);
	for (size_t i = 0; i < certprov.n; i++)
		revoke_line(certprov.items[i].user, certprov.items[i].kind);
	printf("# Users holding pool tickets minted by a legacy method that have not expired\n"
	       "# (%zu). Until the gate records CertProv use for every ticket, these may have\n"
	       "# fetched a certificate too: revoke unless you know they did not.\n",
	       minted.n);
	for (size_t i = 0; i < minted.n; i++)
		revoke_line(minted.items[i].user, minted.items[i].kind);
out:
	ts_revoke_list_clear(&certprov);
	ts_revoke_list_clear(&minted);
}

int ts_cli_pool_runbook(struct ts_cli_pool *ctx, int argc, char **argv)
{
	const struct ts_config_pool *p;
	struct ts_pool_stage st = {0};
	char service[TS_CUTOVER_NAME_MAX + 32], metadata[1024];
	const char *fqdn, *edge;
	size_t base;
	ts_err err;

	if (argc != 2) {
		fprintf(stderr, "usage: tessera pool runbook POOL [-c FILE]\n");
		return 2;
	}
	if ((p = ts_cli_pool_find(ctx, argv[1])) == NULL)
		return 1;
	if ((err = ts_cutover_stage_get(ctx->store, p->name, ts_cli_pool_configured(p), &st)) !=
	    TS_ERR_OK)
		return ts_cli_pool_fail(p->name, err);
	fqdn = *p->fqdn != '\0' ? p->fqdn : p->host;
	edge = *p->edge_pool != '\0' ? p->edge_pool : "EDGE-POOL-FQDN";
	base = strlen(ctx->cfg->broker.public_url);
	while (base > 0 && ctx->cfg->broker.public_url[base - 1] == '/')
		base--;
	snprintf(metadata, sizeof metadata, "%.*s/FederationMetadata/2007-06/FederationMetadata.xml",
		 (int)base, ctx->cfg->broker.public_url);

	printf("# Tessera runbook for pool %s (SfB pool %s, web host %s)\n", p->name, fqdn,
	       p->host);
	printf("# Stage now: %s (version %lld). Run in the Skype for Business Server\n"
	       "# Management Shell, at service scope, never global (sfb-protocol.md 1.1).\n\n",
	       ts_stage_name(st.stage), (long long)st.version);

	printf("## Step 1 - stages legacy and audit%s: passive sign-in beside the existing\n"
	       "## methods, with Tessera as the STS. Nothing breaks: clients keep their method.\n"
	       "## (If the pool has no service-scope configuration yet, use\n"
	       "## New-CsWebServiceConfiguration with the same parameters.)\n",
	       st.stage != TS_STAGE_PASSIVE ? " (now)" : " (done before passive)");
	snprintf(service, sizeof service, "Service:WebServer:%s", fqdn);
	/* One line: a pasted line break would end the command half-way. */
	printf("Set-CsWebServiceConfiguration -Identity ");
	if (!ps_quoted(stdout, service))
		printf("<unprintable fqdn>");
	printf(" -UseWsFedPassiveAuth $true -WsFedPassiveMetadataUri ");
	if (!ps_quoted(stdout, metadata))
		printf("<unprintable public_url>");
	printf("\n\n");

	printf("## Step 2 - %s: then `tessera pool set %s passive` refuses legacy\n"
	       "## sign-in at the gate. Check `tessera pool plan %s` first.\n\n",
	       st.stage == TS_STAGE_PASSIVE ? "done" : "next", p->name, p->name);

	printf("## Step 3 - optional last step once passive has run clean: the pool's own\n"
	       "## legacy web-ticket methods off. Clients pick passive reliably only when\n"
	       "## the pool offers nothing else (sfb-protocol.md 8, item 9). `tessera pool\n"
	       "## rollback` cannot undo this: re-enable them by hand (-UseWindowsAuth\n"
	       "## Negotiate -UseCertificateAuth $true -UsePinAuth $true).\n");
	ps_line("Set-CsWebServiceConfiguration -Identity ", service,
		" -UseWindowsAuth None -UseCertificateAuth $false -UsePinAuth $false");
	printf("\n");

	printf("## Step 4 - SIP, which the gate cannot see (sfb-protocol.md 8, item 8): NTLM\n"
	       "## and Kerberos off for client-to-proxy on the Edge pool and on the pool's\n"
	       "## Registrar. This turns NTLM off for internal and external clients alike.\n"
	       "## UseCertificateForClientToProxyAuth stays True: passive clients sign in to\n"
	       "## SIP with the certificate they fetch after passive sign-in. (New-Cs...\n"
	       "## with the same parameters if there is no service-scope configuration.)\n");
	if (*p->edge_pool == '\0')
		printf("# Set [pool %s] edge_pool in tessera.conf, or replace %s below.\n", p->name,
		       edge);
	snprintf(service, sizeof service, "Service:EdgeServer:%s", edge);
	ps_line("Set-CsProxyConfiguration -Identity ", service,
		" -UseKerberosForClientToProxyAuth $false -UseNtlmForClientToProxyAuth $false");
	snprintf(service, sizeof service, "Service:Registrar:%s", fqdn);
	ps_line("Set-CsProxyConfiguration -Identity ", service,
		" -UseKerberosForClientToProxyAuth $false -UseNtlmForClientToProxyAuth $false");
	printf("\n");

	printf("## Step 5 - certificates that came through legacy sign-in stay valid for\n"
	       "## DefaultValidityPeriodHours (180 days by default) unless revoked.\n");
	print_revokes(ctx, p->name);
	ts_pool_stage_clear(&st);
	return 0;
}
