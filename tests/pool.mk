# tessera-pool, the SfB pool emulator: endpoint shapes, NTLM bound to the
# connection (and malformed NTLM), the passive relying party.
TESTS += tests/pool_emulator.sh tests/pool_ntlm.sh tests/pool_passive.sh
dist_noinst_SCRIPTS += tests/pool_emulator.sh tests/pool_ntlm.sh tests/pool_passive.sh \
	tests/pool_lib.sh
EXTRA_DIST += tests/pool_client.py
