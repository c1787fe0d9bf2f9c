# Page ciphers (transforms/aes*, xts*, cipher*): host unit tests against the
# IEEE 1619 and FIPS-197 vectors and OpenSSL, and the bench-crypt benchmark.
CRYPT_SRCS := transforms/aes.c transforms/xts.c transforms/xts_aesni_simd.c \
              transforms/cipher.c transforms/cipher_mac.c \
              transforms/cipher_ghash_simd.c

$(eval $(call host_test,crypt,tests/host/test_aes.c tests/host/test_xts.c $(CRYPT_SRCS),-lcrypto))

# Benchmark: optimised, no sanitizers; prints figures only.
.PHONY: bench-crypt
$(HOST_BUILD)/bench-crypt: tools/bench_crypt.c $(CRYPT_SRCS) $(HTEST_SRCS) $(HEADERS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tools/bench_crypt.c $(CRYPT_SRCS) tests/host/host_shim.c -lcrypto

bench-crypt: $(HOST_BUILD)/bench-crypt
	$(HOST_BUILD)/bench-crypt
