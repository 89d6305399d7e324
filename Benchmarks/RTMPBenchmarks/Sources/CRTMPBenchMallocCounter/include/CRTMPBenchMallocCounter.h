#ifndef CRTMPBENCH_MALLOC_COUNTER_H
#define CRTMPBENCH_MALLOC_COUNTER_H
#include <stdint.h>

/// Number of malloc/calloc/realloc/aligned allocations since the process started.
int64_t crtmpbench_allocation_count(void);

#endif
