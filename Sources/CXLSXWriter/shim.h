#ifndef LEANSTATS_CXLSXWRITER_SHIM_H
#define LEANSTATS_CXLSXWRITER_SHIM_H
#include <xlsxwriter.h>
#endif
