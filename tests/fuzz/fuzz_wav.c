/*
 * libFuzzer target for tr_media_wav() (lib/media/media.c): the input is
 * the first bytes of an upload, tried as a file of its own length and
 * of a much larger one.  What is taken for a WAV must have a length
 * within bounds and no more samples than the bytes given hold.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tr_media	 m;

	if (tr_media_wav(data, size, size, &m) == TR_OK &&
	    (!(m.duration > 0) || m.channels <= 0 || m.rate <= 0 ||
	    m.duration * m.rate * m.channels > (double)size))
		abort();
	if (tr_media_wav(data, size, (unsigned long long)size << 20, &m) ==
	    TR_OK && (!(m.duration > 0) || m.duration >= 1e7))
		abort();
	return 0;
}
