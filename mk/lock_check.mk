# The lock-order checker's portable core (kernel/lib/lock_check.c) as a host
# unit test, with small tables so the table-full paths are cheap to reach.
$(eval $(call host_test,lock_check,tests/host/test_lock_check.c kernel/lib/lock_check.c,-DCONFIG_LOCK_CHECK=1 -DLOCK_CHECK_MAX_CLASSES=8 -DLOCK_CHECK_MAX_PAIRS=6 -DLOCK_CHECK_MAX_HELD=4))
