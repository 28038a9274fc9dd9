# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# make            build .output/bin/xdpchain (BPF objects embedded as skeletons)
# make demo       install what is missing, build, run the demo chain (in the VM
#                 when this kernel refuses freplace)
# make test       install what is missing, build, run every test (host + VM)
# make vm-test    the VM suite alone (KERNEL=6.1)
# make distro-test one release of the distribution matrix (DIST=sid): its
#                 chroot, build, host tests and VM suite on its own kernel
# make deps       install the Debian packages the project needs
# make install    install xdpchain to $(DESTDIR)$(PREFIX)/sbin

OUTPUT ?= .output
# V=1 shows the full commands
ifeq ($(V),1)
Q :=
msg := @true
else
Q := @
msg := @printf '  %-8s %s\n'
endif
PREFIX ?= /usr/local
KERNEL ?= 6.1
DIST ?= sid
CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool

ARCH_INC := -I/usr/include/$(shell $(CC) -dumpmachine 2>/dev/null)
LIBXDP_VERSION := $(shell pkg-config --modversion libxdp 2>/dev/null)

CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
	  -I$(OUTPUT)/skel -Isrc \
	  -DXDPCHAIN_VERSION='"0.1.0"' \
	  -DXDPCHAIN_LIBXDP_BUILD='"$(LIBXDP_VERSION)"'
LDLIBS := -lxdp -lbpf -lelf -lz -lpcap
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	     -fno-sanitize-recover=undefined

BPF_CFLAGS := -target bpf -O2 -g -Wall -Werror $(ARCH_INC) -Ibpf

DISPATCHER_SRCS := $(wildcard dispatcher/*.bpf.c)
SAMPLE_SRCS := $(wildcard bpf/samples/*.bpf.c)
TEST_BPF_SRCS := $(wildcard tests/bpf/*.bpf.c)
SKELS := $(patsubst dispatcher/%.bpf.c,$(OUTPUT)/skel/%.skel.h,$(DISPATCHER_SRCS))
SAMPLE_OBJS := $(patsubst bpf/samples/%.bpf.c,$(OUTPUT)/bpf/%.o,$(SAMPLE_SRCS))
TEST_BPF_OBJS := $(patsubst tests/bpf/%.bpf.c,$(OUTPUT)/tests/%.o,$(TEST_BPF_SRCS))

SRCS := $(wildcard src/*.c)
LIB_SRCS := $(filter-out src/xdpchain.c,$(SRCS))
OBJS := $(patsubst src/%.c,$(OUTPUT)/obj/%.o,$(SRCS))
SAN_OBJS := $(patsubst src/%.c,$(OUTPUT)/san/%.o,$(SRCS))
SAN_LIB_OBJS := $(patsubst src/%.c,$(OUTPUT)/san/%.o,$(LIB_SRCS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(patsubst tests/helpers/%.c,$(OUTPUT)/bin/%,$(HELPER_SRCS))

BIN := $(OUTPUT)/bin/xdpchain
SAN_BIN := $(OUTPUT)/bin/xdpchain-asan
UNIT_BIN := $(OUTPUT)/bin/unit-tests
BENCH_BIN := $(OUTPUT)/bin/xdpchain-bench
LIB_OBJS := $(patsubst src/%.c,$(OUTPUT)/obj/%.o,$(LIB_SRCS))

.PHONY: all test-build deps demo test vm-test distro-test host-test unit bench install clean check-format
.DELETE_ON_ERROR:
# keep the BPF objects behind the skeletons: tests load some of them directly
.SECONDARY:

all: $(BIN) $(SAMPLE_OBJS)

$(OUTPUT)/dispatcher/%.o: dispatcher/%.bpf.c bpf/xdpchain.h $(wildcard dispatcher/*.h) | $(OUTPUT)/dispatcher
	$(msg) BPF $@
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/skel/%.skel.h: $(OUTPUT)/dispatcher/%.o | $(OUTPUT)/skel
	$(msg) SKEL $@
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst .,_,$*)_bpf > $@

$(OUTPUT)/bpf/%.o: bpf/samples/%.bpf.c bpf/xdpchain.h bpf/samples/parse.h | $(OUTPUT)/bpf
	$(msg) BPF $@
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/tests/%.o: tests/bpf/%.bpf.c bpf/xdpchain.h $(wildcard tests/bpf/*.h) | $(OUTPUT)/tests
	$(msg) BPF $@
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/obj/%.o: src/%.c $(wildcard src/*.h) $(SKELS) | $(OUTPUT)/obj
	$(msg) CC $@
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUTPUT)/san/%.o: src/%.c $(wildcard src/*.h) $(SKELS) | $(OUTPUT)/san
	$(msg) CC-SAN $@
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(BIN): $(OBJS) | $(OUTPUT)/bin
	$(msg) LINK $@
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(SAN_BIN): $(SAN_OBJS) | $(OUTPUT)/bin
	$(msg) LINK-SAN $@
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $^ -o $@ $(LDLIBS)

$(UNIT_BIN): $(UNIT_SRCS) $(SAN_LIB_OBJS) | $(OUTPUT)/bin
	$(msg) LINK-SAN $@
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -Itests/unit $^ -o $@ $(LDLIBS)

$(BENCH_BIN): tests/bench/bench.c $(LIB_OBJS) | $(OUTPUT)/bin
	$(msg) LINK $@
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(OUTPUT)/bin/%: tests/helpers/%.c $(wildcard tests/bpf/*.h) | $(OUTPUT)/bin
	$(msg) CC $@
	$(Q)$(CC) $(CFLAGS) -Itests/helpers $< -o $@ $(LDLIBS)

$(OUTPUT)/dispatcher $(OUTPUT)/skel $(OUTPUT)/bpf $(OUTPUT)/tests \
$(OUTPUT)/obj $(OUTPUT)/san $(OUTPUT)/bin:
	$(Q)mkdir -p $@

# Everything the tests need, built once on the host and carried into the VM.
test-build: all $(SAN_BIN) $(UNIT_BIN) $(TEST_BPF_OBJS) $(HELPER_BINS) \
	$(patsubst dispatcher/%.bpf.c,$(OUTPUT)/dispatcher/%.o,$(DISPATCHER_SRCS))

deps:
	@bash tests/deps.sh

demo: deps
	@$(MAKE) --no-print-directory test-build
	@bash tests/demo.sh

host-test: test-build
	@bash tests/run.sh --host

vm-test: test-build
	@bash tests/vm/suite.sh $(KERNEL)

distro-test: deps
	@bash tests/distro.sh $(DIST)

test: deps
	@$(MAKE) --no-print-directory test-build
	@bash tests/run-all.sh

# The chain part runs in the VM, its clock counting guest instructions
# (qemu -icount): ratios hold whatever else the machine runs.
bench: test-build $(BENCH_BIN)
	@$(BENCH_BIN)
	@VM_QEMU_ARGS="-icount shift=0,sleep=off" bash tests/vm/run.sh --kernel $(KERNEL) -- \
		"bash tests/bench/vm_chain.sh && bash tests/bench/vm_capture.sh"

install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/xdpchain

FORMATTED := $(wildcard src/*.[ch] dispatcher/*.c bpf/*.h bpf/samples/*.[ch] tests/unit/*.[ch] \
	     tests/helpers/*.c tests/bpf/*.[ch] tests/bench/*.c)

check-format:
	@clang-format --dry-run --Werror $(FORMATTED)

clean:
	rm -rf $(OUTPUT)
