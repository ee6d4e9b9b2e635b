#ifndef LEANSTATS_CZSTD_SHIM_H
#define LEANSTATS_CZSTD_SHIM_H
#include <zstd.h>
#endif
