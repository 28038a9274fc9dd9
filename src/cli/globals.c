// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "globals.h"

struct global_opts g_opts;
