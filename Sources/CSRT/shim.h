#include <srt/srt.h>
