noinst_HEADERS += include/tessera/err.h include/tessera/clock.h include/tessera/log.h \
	include/tessera/config.h include/tessera/util.h \
	include/tessera/identity.h include/tessera/saml.h include/tessera/form.h include/tessera/file.h \
	include/tessera/origin.h include/tessera/display.h
