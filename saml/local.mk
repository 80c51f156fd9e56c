# saml/: everything XML (validation, metadata, request building). Its own
# library so only programs that need libxml2/xmlsec link them.
noinst_LIBRARIES += libtessera_saml.a
libtessera_saml_a_SOURCES = saml/internal.h saml/metadata.h \
	saml/saml.c saml/validate.c saml/xml_safe.c saml/signature.c saml/decrypt.c \
	saml/conditions.c saml/saml2.c saml/saml11.c saml/wsfed.c saml/metadata.c \
	saml/decode.c saml/identity.c saml/request.c saml/sp_metadata.c
libtessera_saml_a_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(XMLSEC_CFLAGS) $(LIBXML_CFLAGS) \
	$(OPENSSL_CFLAGS) $(ZLIB_CFLAGS)
TS_SAML_LIBS = libtessera_saml.a $(TS_COMMON_LIBS) $(XMLSEC_LIBS) $(LIBXML_LIBS) \
	$(OPENSSL_LIBS) $(ZLIB_LIBS)
libtessera_saml_a_SOURCES += include/tessera/sts.h saml/sts_internal.h saml/sts_files.c \
	saml/sts_cert.c saml/sts_keys.c saml/sts_rotate.c saml/sts_xml.c saml/sts_issue.c \
	saml/sts_metadata.c
