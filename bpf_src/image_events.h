/*
 * Events that change what a target maps, counted by the BPF program for the
 * frontend (common/trace/image_follower.h): the dynamic loader's report of libraries
 * mapped or unmapped (at start-up, dlopen, dlclose), and exec. Included by
 * both halves.
 */
#ifndef IMAGE_EVENTS_H
#define IMAGE_EVENTS_H

enum image_event {
	IMAGE_EVENT_LOADER,
	IMAGE_EVENT_EXEC,
	IMAGE_EVENTS,
};

#endif
