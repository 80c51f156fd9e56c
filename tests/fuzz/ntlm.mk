# The gate's NTLM / Negotiate / classification fuzz target, for the
# integrator to include beside tests/fuzz/local.mk. Not built by default:
#   make -f tests/fuzz/ntlm.mk fuzz-ntlm BUILD=build   (then ./fuzz-ntlm CORPUS)
# tests/check_gate replays the corpus in every build without clang.
BUILD ?= build
CLANG ?= clang
FUZZ_NTLM_SOURCES = tests/fuzz/fuzz_ntlm.c broker/gate_classify.c broker/gate_request.c \
	broker/gate_path.c broker/gate_body.c broker/gate_base64.c broker/ntlm.c \
	broker/spnego.c broker/client_family.c

fuzz-ntlm: $(FUZZ_NTLM_SOURCES)
	$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -include $(BUILD)/config.h \
		-Iinclude -I$(BUILD) $$(pkg-config --cflags glib-2.0) $(FUZZ_NTLM_SOURCES) \
		-o $@ $$(pkg-config --libs glib-2.0 libcrypto)
