# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# make            build .output/bin/xdpchain (BPF objects embedded as skeletons);
#                 CFLAGS, CPPFLAGS, LDFLAGS and CC (make CC=clang) as a packager
#                 sets them, added to the build's own flags; WERROR=1 makes
#                 warnings errors (the test targets set it)
# make unit       build and run the unit tests
# make demo       install what is missing, build, run the demo chain (in the VM
#                 when this kernel refuses freplace)
# make check      install what is missing, build, the unit tests, host tests
#                 and the VM suite on 6.1 side by side (tests/run-all.sh check)
# make test       install what is missing, build, run every test: host, VM
#                 suite on 6.1 and 6.12, Debian 13, systemd (CI's command),
#                 the VMs two at a time (tests/run-all.sh)
# make vm-test    the VM suite alone (KERNEL=6.1)
# make bench      startup beside xdp-loader, the capture and chain benchmarks
#                 (BENCH=startup: startup alone)
# make systemd-test Debian 12 booted with systemd as PID 1 in the VM, xdpchain
#                 installed by make install: units, udev rule, hardening
# make container-test the DaemonSet's pod under podman in that VM (its
#                 images built on the host first, cached; not in make test yet)
# make distro-test one release of the distribution matrix (DIST=sid): its
#                 chroot, build, host tests and VM suite on its own kernel
# make deps       install the Debian packages the project needs
# make install    install the binary, man pages, bash completion, systemd units, udev rule
#                 and bpf/xdpchain.h under $(DESTDIR)$(PREFIX) (default
#                 /usr/local); make uninstall removes exactly those

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
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR ?= $(PREFIX)/lib/systemd/system
UDEVDIR ?= $(PREFIX)/lib/udev/rules.d
INCLUDEDIR ?= $(PREFIX)/include
KERNEL ?= 6.1
DIST ?= sid
# make predefines CC=cc: 'CC ?= gcc' would never apply. CC=clang (command
# line or environment) is taken as given.
ifeq ($(origin CC),default)
CC := gcc
endif
CLANG ?= clang
BPFTOOL ?= bpftool

PKG_CONFIG ?= pkg-config

# The BPF objects need the multiarch directory for <asm/types.h>,
# x86_64-linux-gnu. clang -dumpmachine says x86_64-pc-linux-gnu, no directory
# on Debian, and clang 19 has no -print-multiarch: ask $(CC), then gcc
# (build-essential), then dpkg.
ARCH_INC := -I/usr/include/$(shell $(CC) -print-multiarch 2>/dev/null || \
	gcc -print-multiarch 2>/dev/null || dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
LIBXDP_VERSION := $(shell $(PKG_CONFIG) --modversion libxdp 2>/dev/null)

# Flags of the libraries from their .pc files. Expanded on first use, not
# when the Makefile is read: 'make deps' must run where pkg-config and the
# -dev packages are not installed yet.
# libpcap, libyaml and nettle: their headers only; the binary loads each
# where it is used (src/base/dynlib.h: capture and replay, chain files,
# object hashing), so a command that does none of these never loads them
# (--version, status). The tests and the bench link them (DL_LDLIBS): they
# call libpcap directly, and the VM image takes the libraries its
# binaries link. A package of the binary still depends on all three.
PC_LIBS := libxdp libbpf libelf zlib
DL_LIBS := libpcap yaml-0.1 nettle
PC_LDLIBS = $(eval PC_LDLIBS := $(or $(shell $(PKG_CONFIG) --libs $(PC_LIBS) 2>/dev/null),$(error \
	pkg-config finds no $(PC_LIBS); install them: make deps)))$(PC_LDLIBS)
PC_CFLAGS = $(eval PC_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PC_LIBS) $(DL_LIBS) 2>/dev/null))$(PC_CFLAGS)
DL_LDLIBS = $(eval DL_LDLIBS := $(or $(shell $(PKG_CONFIG) --libs $(DL_LIBS) 2>/dev/null),$(error \
	pkg-config finds no $(DL_LIBS); install them: make deps)))$(DL_LDLIBS)

# CFLAGS, CPPFLAGS and LDFLAGS are the user's (a packager's, e.g.
# dpkg-buildflags' hardening): added after what the build needs, never
# replacing it, so 'make CFLAGS=-O1' keeps the include paths and library
# flags. -Werror only with WERROR=1: the test targets and CI set it, a
# packager's newer compiler does not fail the build on a new warning.
CFLAGS ?= -O2 -g
XDPCHAIN_CFLAGS = -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) -std=gnu11 \
	  -D_GNU_SOURCE -I$(OUTPUT)/skel \
	  -DXDPCHAIN_VERSION='"0.1.0"' \
	  -DXDPCHAIN_LIBXDP_BUILD='"$(LIBXDP_VERSION)"' $(PC_CFLAGS)
ALL_CFLAGS = $(XDPCHAIN_CFLAGS) $(CPPFLAGS) $(CFLAGS)
# the tests' builds: warnings are errors (make WERROR=0 test-build does not)
test-build unit bench: WERROR ?= 1
# -ldl: dlopen() outside libc before glibc 2.34
LDLIBS = $(PC_LDLIBS) -ldl
# header dependencies: each object gets a .d file listing what it included
DEPFLAGS = -MMD -MP
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	     -fno-sanitize-recover=undefined
# The sanitizer runtimes linked in, as clang does by default: with gcc's
# shared libasan every run of the ASan build spent a fifth of its start
# (12 of 55 M instructions in the VM, qemu -icount) relocating it
SAN_LDFLAGS := $(if $(findstring clang,$(shell $(CC) --version 2>/dev/null)),,\
	       -static-libasan -static-libubsan)

# The BPF objects take none of the user's flags (hardening flags are not for
# the bpf target).
BPF_CFLAGS := -target bpf -O2 -g -Wall -Werror $(ARCH_INC) -Ibpf $(DEPFLAGS)

DISPATCHER_SRCS := $(wildcard dispatcher/*.bpf.c)
SAMPLE_SRCS := $(wildcard bpf/samples/*.bpf.c)
TEST_BPF_SRCS := $(wildcard tests/bpf/*.bpf.c)
SKELS := $(patsubst dispatcher/%.bpf.c,$(OUTPUT)/skel/%.skel.h,$(DISPATCHER_SRCS))
SAMPLE_OBJS := $(patsubst bpf/samples/%.bpf.c,$(OUTPUT)/bpf/%.o,$(SAMPLE_SRCS))
TEST_BPF_OBJS := $(patsubst tests/bpf/%.bpf.c,$(OUTPUT)/tests/%.o,$(TEST_BPF_SRCS))

# src/ in layers, bottom up; a folder sees its own headers and those of the
# layers below it (LAYER_INC), so an include upward does not compile.
# tests/host_layers.sh (tests/layers.sh) refuses the same and include circles
# between files and between modules (a .c and its .h).
LAYERS := base kern chain capture replay cli
LAYER_INC_base := base
LAYER_INC_kern := base kern
# chain and capture are siblings on kern: neither sees the other
LAYER_INC_chain := base kern chain
LAYER_INC_capture := base kern capture
LAYER_INC_replay := base kern chain capture replay
LAYER_INC_cli := $(LAYERS)
layer_of = $(word 2,$(subst /, ,$(1)))
layer_inc = $(addprefix -Isrc/,$(LAYER_INC_$(call layer_of,$(1))))
ALL_INC := $(addprefix -Isrc/,$(LAYERS))

SRCS := $(wildcard $(addsuffix /*.c,$(addprefix src/,$(LAYERS))))
LIB_SRCS := $(filter-out src/cli/xdpchain.c,$(SRCS))
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
MAN_PAGE := $(OUTPUT)/man/xdpchain.8
MAN_PAGE5 := $(OUTPUT)/man/xdpchain.conf.5
COMPLETION := $(OUTPUT)/completion/xdpchain
# The systemd units (apply at boot, metrics for node_exporter); the path of
# the binary in them (/usr/local/sbin, the default PREFIX's) becomes SBINDIR.
UNIT_FILES ?= $(wildcard deploy/systemd/*.service deploy/systemd/*.timer)
# the page's date: the last commit's, so a rebuild makes the same page
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)
LIB_OBJS := $(patsubst src/%.c,$(OUTPUT)/obj/%.o,$(LIB_SRCS))

.PHONY: all test-build deps demo check test vm-test systemd-test container-test distro-test host-test unit bench install uninstall \
	clean check-format
.DELETE_ON_ERROR:
# keep the BPF objects behind the skeletons: tests load some of them directly
.SECONDARY:

all: $(BIN) $(SAMPLE_OBJS) $(MAN_PAGE) $(MAN_PAGE5) $(COMPLETION)

# 32-bit subregisters and jumps (kernel 5.1+): no zero-extension shifts on
# the packet path of the dispatcher and the observer
$(OUTPUT)/dispatcher/%.o: dispatcher/%.bpf.c | $(OUTPUT)/dispatcher
	$(msg) BPF $@
	$(Q)$(CLANG) $(BPF_CFLAGS) -mcpu=v3 -c $< -o $@

$(OUTPUT)/skel/%.skel.h: $(OUTPUT)/dispatcher/%.o | $(OUTPUT)/skel
	$(msg) SKEL $@
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst .,_,$*)_bpf > $@

$(OUTPUT)/bpf/%.o: bpf/samples/%.bpf.c | $(OUTPUT)/bpf
	$(msg) BPF $@
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/tests/%.o: tests/bpf/%.bpf.c | $(OUTPUT)/tests
	$(msg) BPF $@
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# The skeletons are order-only: the first build needs them all; after that
# the .d files say which object includes which.
$(OUTPUT)/obj/%.o: src/%.c | $(SKELS)
	$(msg) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(XDPCHAIN_CFLAGS) $(call layer_inc,$<) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OUTPUT)/san/%.o: src/%.c | $(SKELS)
	$(msg) CC-SAN $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(XDPCHAIN_CFLAGS) $(call layer_inc,$<) $(CPPFLAGS) $(CFLAGS) $(SAN_FLAGS) $(DEPFLAGS) -c $< -o $@

$(BIN): $(OBJS) | $(OUTPUT)/bin
	$(msg) LINK $@
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(SAN_BIN): $(SAN_OBJS) | $(OUTPUT)/bin
	$(msg) LINK-SAN $@
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(SAN_LDFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(UNIT_BIN): $(UNIT_SRCS) $(wildcard tests/unit/*.h) $(SAN_LIB_OBJS) | $(OUTPUT)/bin
	$(msg) LINK-SAN $@
	$(Q)$(CC) $(XDPCHAIN_CFLAGS) $(ALL_INC) -Itests/unit $(CPPFLAGS) $(CFLAGS) $(SAN_FLAGS) $(SAN_LDFLAGS) $(LDFLAGS) $(filter %.c %.o,$^) -o $@ $(LDLIBS) $(DL_LDLIBS)

$(BENCH_BIN): tests/bench/bench.c $(LIB_OBJS) | $(OUTPUT)/bin
	$(msg) LINK $@
	$(Q)$(CC) $(XDPCHAIN_CFLAGS) $(ALL_INC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS) $(DL_LDLIBS)

$(OUTPUT)/bin/%: tests/helpers/%.c | $(OUTPUT)/bin
	$(msg) CC $@
	$(Q)$(CC) $(XDPCHAIN_CFLAGS) -Itests/helpers $(CPPFLAGS) $(CFLAGS) -MMD -MP -MF $@.d $(LDFLAGS) $< -o $@ $(LDLIBS) $(DL_LDLIBS)

# The man pages and the completion come from the tables the binary parses
# with: 'xdpchain man' (hidden; 'man 5': xdpchain.conf(5)) and 'xdpchain
# completion'. Neither needs root.
$(MAN_PAGE): $(BIN) | $(OUTPUT)/man
	$(msg) MAN $@
	$(Q)SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(BIN) man > $@

$(MAN_PAGE5): $(BIN) | $(OUTPUT)/man
	$(msg) MAN $@
	$(Q)SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(BIN) man 5 > $@

$(COMPLETION): $(BIN) | $(OUTPUT)/completion
	$(msg) GEN $@
	$(Q)$(BIN) completion > $@

$(OUTPUT)/dispatcher $(OUTPUT)/skel $(OUTPUT)/bpf $(OUTPUT)/tests \
$(OUTPUT)/bin $(OUTPUT)/man $(OUTPUT)/completion:
	$(Q)mkdir -p $@

-include $(wildcard $(OUTPUT)/*/*.d $(OUTPUT)/*/*/*.d)

# Everything the tests need, built once on the host and carried into the VM.
test-build: all $(SAN_BIN) $(UNIT_BIN) $(TEST_BPF_OBJS) $(HELPER_BINS) \
	$(patsubst dispatcher/%.bpf.c,$(OUTPUT)/dispatcher/%.o,$(DISPATCHER_SRCS))

# the tiers build with every core unless make was given -j (a jobserver)
TEST_BUILD_J = $(if $(findstring jobserver,$(MAKEFLAGS)),,-j$(shell nproc))

deps:
	@bash tests/deps.sh

demo: deps
	@$(MAKE) --no-print-directory $(TEST_BUILD_J) test-build
	@bash tests/demo.sh

# the unit tests (ASan/UBSan build), no root needed
unit: $(UNIT_BIN)
	@$(UNIT_BIN)

host-test: test-build
	@bash tests/run.sh --host

vm-test: test-build
	@bash tests/vm/suite.sh $(KERNEL)

systemd-test: test-build
	@bash tests/vm/systemd-suite.sh $(KERNEL)

container-test: test-build
	@bash tests/vm/container-suite.sh $(KERNEL)

distro-test: deps
	@bash tests/distro.sh $(DIST)

check: deps
	@$(MAKE) --no-print-directory $(TEST_BUILD_J) test-build
	@bash tests/run-all.sh check

test: deps
	@$(MAKE) --no-print-directory $(TEST_BUILD_J) test-build
	@bash tests/run-all.sh test

# The chain part runs in the VM, its clock counting guest instructions
# (qemu -icount): ratios hold whatever else the machine runs. Startup
# (tests/bench/startup.sh) runs on the host beside xdp-loader, in the same
# run, and replay (tests/bench/replay.sh) beside its floor, the bare test
# runs, and in the VM replay --dispatcher beside the one-by-one replay
# (tests/bench/vm_replay.sh); BENCH=startup or BENCH=replay runs that part alone.
bench: test-build $(BENCH_BIN)
ifneq ($(BENCH),replay)
	@bash tests/bench/startup.sh
endif
ifneq ($(BENCH),startup)
	@bash tests/bench/replay.sh
endif
ifeq ($(filter startup replay,$(BENCH)),)
	@$(BENCH_BIN)
	@VM_QEMU_ARGS="-icount shift=0,sleep=off" bash tests/vm/run.sh --kernel $(KERNEL) -- \
		"bash tests/bench/vm_chain.sh && bash tests/bench/vm_capture.sh && bash tests/bench/vm_replay.sh"
endif

# What goes where; uninstall removes exactly this list (the unit whether or
# not this tree has one) and the include directory, which is xdpchain's own.
INSTALLED := $(SBINDIR)/xdpchain $(MANDIR)/man8/xdpchain.8 $(MANDIR)/man5/xdpchain.conf.5 \
	     $(BASHCOMPDIR)/xdpchain \
	     $(INCLUDEDIR)/xdpchain/xdpchain.h \
	     $(addprefix $(UNITDIR)/,xdpchain.service xdpchain@.service xdpchain-metrics.service \
			       xdpchain-metrics.timer) \
	     $(UDEVDIR)/71-xdpchain.rules

install: $(BIN) $(MAN_PAGE) $(MAN_PAGE5) $(COMPLETION)
	install -D -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/xdpchain
	install -D -m 0644 $(MAN_PAGE) $(DESTDIR)$(MANDIR)/man8/xdpchain.8
	install -D -m 0644 $(MAN_PAGE5) $(DESTDIR)$(MANDIR)/man5/xdpchain.conf.5
	install -D -m 0644 $(COMPLETION) $(DESTDIR)$(BASHCOMPDIR)/xdpchain
	install -D -m 0644 bpf/xdpchain.h $(DESTDIR)$(INCLUDEDIR)/xdpchain/xdpchain.h
	install -D -m 0644 deploy/udev/71-xdpchain.rules $(DESTDIR)$(UDEVDIR)/71-xdpchain.rules
ifneq ($(UNIT_FILES),)
	install -d $(DESTDIR)$(UNITDIR)
	for u in $(UNIT_FILES); do \
		sed 's|/usr/local/sbin/xdpchain|$(SBINDIR)/xdpchain|g' $$u \
			> $(DESTDIR)$(UNITDIR)/$${u##*/} && chmod 0644 $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; \
	done
endif

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	[ ! -d $(DESTDIR)$(INCLUDEDIR)/xdpchain ] || \
		rmdir --ignore-fail-on-non-empty $(DESTDIR)$(INCLUDEDIR)/xdpchain

FORMATTED := $(wildcard src/*/*.[ch] dispatcher/*.c bpf/*.h bpf/samples/*.[ch] tests/unit/*.[ch] \
	     tests/helpers/*.c tests/bpf/*.[ch] tests/bench/*.c)

check-format:
	@clang-format --dry-run --Werror $(FORMATTED)

clean:
	rm -rf $(OUTPUT)
