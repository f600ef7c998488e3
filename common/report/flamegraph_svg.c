#include "report/flamegraph_svg.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/growable_array.h"
#include "report/stack_trends.h"
#include "report/untrusted_text.h"

#define IMAGE_WIDTH 1200
#define FRAME_HEIGHT 16
#define TOP_MARGIN 48
#define SIDE_MARGIN 10
/* Frames narrower than this are left out: they would not be seen, only weigh the file. */
#define MIN_FRAME_WIDTH_PX 0.1

/* The merged call tree: children of one frame with the same name are one node. */
struct node {
	const char *name;	/* points into the report, or is owned_name */
	char *owned_name;	/* a process's frame, "comm (pid)": made here */
	uint64_t value;
	uint64_t before;	/* a differential graph's before figure (value is the after one) */
	uint64_t by_class[TREND_TRANSIENT + 1];	/* -i: the value of each class's stacks */
	struct node *children;
	size_t child_count;
	size_t child_capacity;
};

static struct node *child_named(struct node *parent, const char *name)
{
	struct node *child;
	size_t i;

	for (i = 0; i < parent->child_count; i++) {
		if (!strcmp(parent->children[i].name, name))
			return &parent->children[i];
	}
	if (growable_array__reserve(&parent->children, &parent->child_capacity,
				    parent->child_count, sizeof(*child)))
		return NULL;
	child = &parent->children[parent->child_count++];
	memset(child, 0, sizeof(*child));
	child->name = name;
	return child;
}

/*
 * The frame of an owned stack's process, under its root frames: each process
 * is a tower of its own. The comm is escaped where the name is written.
 */
static struct node *process_node(struct node *root, const struct stack_owner *owner)
{
	struct node *node;
	char *name;

	if (asprintf(&name, "%s (%d)", owner->comm, owner->pid) < 0)
		return NULL;
	node = child_named(root, name);
	if (node && !node->owned_name)
		node->owned_name = name;
	else
		free(name);
	return node;
}

/* Adds the stack's value to `node` (its class's share too, with -i). */
static void add_value(struct node *node, const struct stack_entry *entry)
{
	node->value += entry->value;
	if (entry->series)
		node->by_class[trend_class__of(entry)] += entry->value;
}

static int build_tree(struct node *root, const struct stack_report *report)
{
	size_t i, f;

	for (i = 0; i < stack_report__length(report); i++) {
		const struct stack_entry *entry = stack_report__entry(report, i);
		struct node *node = root;

		root->value += entry->value;
		if (entry->owner) {
			node = process_node(root, entry->owner);
			if (node)
				add_value(node, entry);
		}
		for (f = 0; f < entry->depth && node; f++) {
			node = child_named(node, entry->frames[f]);
			if (node)
				add_value(node, entry);
		}
		if (!node)
			return -ENOMEM;
	}
	return 0;
}

/* A differential graph's before side: its stacks' figures, in nodes the after side may lack. */
static int add_before(struct node *root, const struct stack_report *report)
{
	size_t i, f;

	for (i = 0; i < stack_report__length(report); i++) {
		const struct stack_entry *entry = stack_report__entry(report, i);
		struct node *node = root;

		root->before += entry->value;
		for (f = 0; f < entry->depth && node; f++) {
			node = child_named(node, entry->frames[f]);
			if (node)
				node->before += entry->value;
		}
		if (!node)
			return -ENOMEM;
	}
	return 0;
}

static void free_tree(struct node *node)
{
	size_t i;

	for (i = 0; i < node->child_count; i++)
		free_tree(&node->children[i]);
	free(node->children);
	free(node->owned_name);
}

static size_t tree_depth(const struct node *node)
{
	size_t i, deepest = 0, depth;

	for (i = 0; i < node->child_count; i++) {
		depth = tree_depth(&node->children[i]);
		if (depth > deepest)
			deepest = depth;
	}
	return deepest + 1;
}

/* The frame's label as it first shows (the script redoes it on zoom): what fits, at 7 px a character. */
static void write_label(FILE *out, const char *name, double width_px)
{
	size_t fits = width_px > 6 ? (size_t)((width_px - 6) / 7) : 0;

	if (fits < 3)
		return;
	if (untrusted_text__shown_length(name) <= fits) {
		untrusted_text__write_xml(out, name, SIZE_MAX);
		return;
	}
	untrusted_text__write_xml(out, name, fits - 2);
	fputs("..", out);
}

/*
 * A colour family per origin (the program's own code warm, libraries
 * yellow-tan, the allocator green) or, with -i, per class (leak suspects
 * red, plateaus blue, transients pale green): a base and a range, the shade
 * within it stable per name.
 */
struct colour_family {
	const char *name;
	unsigned char base[3];
	unsigned char range[3];
};

/* A frame of no known origin is coloured as the program's, as it mostly is. */
static const struct colour_family origin_families[] = {
	[ORIGIN_UNKNOWN] = {"program", {205, 80, 0}, {50, 100, 55}},
	[ORIGIN_PROGRAM] = {"program", {205, 80, 0}, {50, 100, 55}},
	[ORIGIN_LIBRARY] = {"library", {200, 190, 100}, {35, 35, 45}},
	[ORIGIN_ALLOCATOR] = {"allocator", {60, 170, 70}, {50, 50, 50}},
};

static const struct colour_family class_families[] = {
	[TREND_LEAK_SUSPECT] = {"leak suspect", {215, 30, 30}, {40, 50, 50}},
	[TREND_PLATEAU] = {"plateau", {70, 130, 210}, {40, 50, 40}},
	[TREND_TRANSIENT] = {"transient", {150, 200, 150}, {40, 30, 40}},
	[TREND_UNCLASSIFIED] = {"unclassified", {185, 185, 185}, {30, 30, 30}},
};

/* Frames that name no function ([unknown], [Missed User Stack]) are grey. */
static void frame_colour(const char *name, const struct colour_family *family, char colour[24])
{
	uint32_t hash = 2166136261u;
	const char *c;

	if (name[0] == '[') {
		snprintf(colour, 24, "#b0b0b0");
		return;
	}
	for (c = name; *c; c++)
		hash = (hash ^ (unsigned char)*c) * 16777619u;
	snprintf(colour, 24, "rgb(%u,%u,%u)", family->base[0] + hash % family->range[0],
		 family->base[1] + (hash >> 8) % family->range[1],
		 family->base[2] + (hash >> 16) % family->range[2]);
}

/* The class holding most of a frame's value. */
static enum trend_class dominant_class(const struct node *node)
{
	enum trend_class class, dominant = TREND_UNCLASSIFIED;

	for (class = TREND_UNCLASSIFIED; class <= TREND_TRANSIENT; class++) {
		if (node->by_class[class] > node->by_class[dominant])
			dominant = class;
	}
	return dominant;
}

struct layout {
	FILE *out;
	const struct frame_origins *origins;
	int by_class;			/* -i: colours by class, not by origin */
	int differential;		/* colours by change, not by origin */
	uint64_t largest_change;	/* of any frame, for a differential's shades */
	double px_per_unit;
	size_t height;
	uint64_t total;
};

static int64_t change_of(const struct node *node)
{
	return (int64_t)node->value - (int64_t)node->before;
}

/*
 * A differential frame: red for growth, blue for shrinkage, deeper the larger
 * its change beside the largest one; grey for no change.
 */
static void change_colour(const struct layout *layout, const struct node *node, char colour[24])
{
	int64_t change = change_of(node);
	double size = (double)(change < 0 ? -(uint64_t)change : (uint64_t)change);
	unsigned int shade;

	if (!change || !layout->largest_change) {
		snprintf(colour, 24, "rgb(200,200,200)");
		return;
	}
	shade = 200 - (unsigned int)(170 * size / layout->largest_change);
	if (change > 0)
		snprintf(colour, 24, "rgb(255,%u,%u)", shade, shade);
	else
		snprintf(colour, 24, "rgb(%u,%u,255)", shade, shade);
}

static uint64_t largest_change(const struct node *node)
{
	int64_t change = change_of(node);
	uint64_t largest = change < 0 ? -(uint64_t)change : (uint64_t)change, child;
	size_t i;

	for (i = 0; i < node->child_count; i++) {
		child = largest_change(&node->children[i]);
		if (child > largest)
			largest = child;
	}
	return largest;
}

/* What is known of where the frame's code is: its source line, as data-site. */
static void write_site(const struct layout *layout, const char *name)
{
	const struct frame_site *site = frame_origins__site(layout->origins, name);
	const char *base;
	char line[16];

	if (!site || !site->source_file)
		return;
	base = strrchr(site->source_file, '/');
	fputs(" data-site=\"", layout->out);
	untrusted_text__write_xml(layout->out, base ? base + 1 : site->source_file, SIZE_MAX);
	snprintf(line, sizeof(line), ":%u", site->line);
	fprintf(layout->out, "%s\"", line);
}

/* One frame, then its children left to right, each with its value offset. */
static void write_node(const struct layout *layout, const struct node *node, size_t depth,
		       uint64_t offset)
{
	double width = node->value * layout->px_per_unit;
	enum frame_origin origin = frame_origins__get(layout->origins, node->name);
	enum trend_class class = dominant_class(node);
	char colour[24];
	size_t i;

	if (width < MIN_FRAME_WIDTH_PX)
		return;
	if (layout->differential)
		change_colour(layout, node, colour);
	else
		frame_colour(node->name,
			     layout->by_class ? &class_families[class] : &origin_families[origin],
			     colour);
	fprintf(layout->out, "<g class=\"f\" data-x=\"%llu\" data-w=\"%llu\" data-d=\"%zu\" data-origin=\"%s\"",
		(unsigned long long)offset, (unsigned long long)node->value, depth,
		frame_origin_name(origin));
	if (layout->by_class)
		fprintf(layout->out, " data-class=\"%s\"", trend_class__name(class));
	if (layout->differential)
		fprintf(layout->out, " data-before=\"%llu\" data-delta=\"%lld\"",
			(unsigned long long)node->before, (long long)change_of(node));
	write_site(layout, node->name);
	fputs("><title>", layout->out);
	untrusted_text__write_xml(layout->out, node->name, SIZE_MAX);
	fprintf(layout->out, "</title><rect x=\"%.2f\" y=\"%zu\" width=\"%.2f\" height=\"%d\" fill=\"%s\" rx=\"2\"/><text x=\"%.2f\" y=\"%zu\">",
		SIDE_MARGIN + offset * layout->px_per_unit,
		layout->height - (depth + 1) * FRAME_HEIGHT, width, FRAME_HEIGHT - 1, colour,
		SIDE_MARGIN + offset * layout->px_per_unit + 3,
		layout->height - depth * FRAME_HEIGHT - 4);
	write_label(layout->out, node->name, width);
	fputs("</text></g>\n", layout->out);
	for (i = 0; i < node->child_count; i++) {
		write_node(layout, &node->children[i], depth + 1, offset);
		offset += node->children[i].value;
	}
}

/*
 * Zoom, search and tooltips. Names are read from each frame's <title> as text
 * (textContent) and written back the same way: never parsed as markup.
 */
static const char script[] =
	"var unit=document.documentElement.getAttribute('data-unit'),"
	"total=+document.documentElement.getAttribute('data-total'),"
	"W=+document.documentElement.getAttribute('width')-20,"
	"frames=[].slice.call(document.querySelectorAll('g.f')),zoomed=null;\n"
	"function share(v){return (100*v/total).toFixed(2)+'%';}\n"
	"function draw(){var x0=zoomed?+zoomed.getAttribute('data-x'):0,"
	"w0=zoomed?+zoomed.getAttribute('data-w'):total,d0=zoomed?+zoomed.getAttribute('data-d'):0;"
	"frames.forEach(function(g){var x=+g.getAttribute('data-x'),w=+g.getAttribute('data-w'),"
	"d=+g.getAttribute('data-d'),r=g.querySelector('rect'),t=g.querySelector('text'),"
	"inside=x>=x0&&x+w<=x0+w0,above=d<d0&&x<=x0&&x+w>=x0+w0,px=w*W/w0;"
	"if(!inside&&!above){g.style.display='none';return;}g.style.display='';"
	"var left=above?0:(x-x0)*W/w0;if(above)px=W;r.setAttribute('x',10+left);r.setAttribute('width',px);"
	"t.setAttribute('x',13+left);var name=g.querySelector('title').getAttribute('data-name');"
	"var n=Math.floor((px-6)/7);t.textContent=n<3?'':(name.length<=n?name:name.slice(0,n-2)+'..');"
	"g.style.opacity=above?0.6:1;});}\n"
	"function tip(g,v){if(!g.hasAttribute('data-before'))return v+' '+unit+', '+share(v);"
	"var d=+g.getAttribute('data-delta');return 'before '+g.getAttribute('data-before')+' '+unit+"
	"', after '+v+' '+unit+', delta '+(d>0?'+':'')+d+' '+unit;}\n"
	"frames.forEach(function(g){var title=g.querySelector('title'),name=title.textContent,"
	"v=+g.getAttribute('data-w'),site=g.getAttribute('data-site');"
	"title.setAttribute('data-name',name);"
	"title.textContent=name+' ('+tip(g,v)+')'+(site?' at '+site:'');"
	"g.addEventListener('click',function(){zoomed=g;draw();});});\n"
	"document.getElementById('reset').addEventListener('click',function(){zoomed=null;draw();});\n"
	"document.getElementById('search').addEventListener('click',function(){"
	"var term=prompt('Search frames (a plain string):');var matched={},sum=0;"
	"frames.forEach(function(g){var hit=term&&g.querySelector('title').getAttribute('data-name')"
	".indexOf(term)>=0;g.querySelector('rect').style.stroke=hit?'#3050f0':'';"
	"g.querySelector('rect').style.strokeWidth=hit?'2':'';if(hit){var x=+g.getAttribute('data-x'),"
	"w=+g.getAttribute('data-w');var covered=false;for(var k in matched){var m=matched[k];"
	"if(x>=m[0]&&x+w<=m[0]+m[1])covered=true;}if(!covered){matched[x+':'+w]=[x,w];sum+=w;}}});"
	"document.getElementById('matched').textContent=term?'Matched: '+share(sum):'';});\n"
	"draw();\n";

/* A differential graph's legend: what red, blue and grey say. */
static void write_change_legend(FILE *out)
{
	static const char *const entries[][2] = {{"rgb(255,30,30)", "grew"},
						  {"rgb(30,30,255)", "shrank"},
						  {"rgb(200,200,200)", "unchanged"}};
	size_t i;

	for (i = 0; i < 3; i++)
		fprintf(out, "<g class=\"legend\"><rect x=\"%zu\" y=\"29\" width=\"10\" height=\"10\" fill=\"%s\"/>"
			     "<text x=\"%zu\" y=\"38\" font-size=\"11\">%s</text></g>\n",
			10 + i * 90, entries[i][0], 24 + i * 90, entries[i][1]);
}

/* What the colour families mean, under the Reset zoom button. */
static void write_legend(FILE *out, int by_class)
{
	static const int origins[] = {ORIGIN_PROGRAM, ORIGIN_LIBRARY, ORIGIN_ALLOCATOR};
	static const int classes[] = {TREND_LEAK_SUSPECT, TREND_PLATEAU, TREND_TRANSIENT,
				      TREND_UNCLASSIFIED};
	const struct colour_family *families = by_class ? class_families : origin_families;
	const int *shown = by_class ? classes : origins;
	size_t i, count = by_class ? 4 : 3;
	char colour[24];

	for (i = 0; i < count; i++) {
		frame_colour("a", &families[shown[i]], colour);
		fprintf(out, "<g class=\"legend\"><rect x=\"%zu\" y=\"29\" width=\"10\" height=\"10\" fill=\"%s\"/>"
			     "<text x=\"%zu\" y=\"38\" font-size=\"11\">%s</text></g>\n",
			10 + i * 90, colour, 24 + i * 90, families[shown[i]].name);
	}
}

static void write_header(FILE *out, const struct flamegraph_labels *labels, size_t height,
			 uint64_t total, int by_class, int differential)
{
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%zu\" "
		     "viewBox=\"0 0 %d %zu\" data-total=\"%llu\" data-unit=\"",
		IMAGE_WIDTH, height, IMAGE_WIDTH, height, (unsigned long long)total);
	untrusted_text__write_xml(out, labels->unit, SIZE_MAX);
	fprintf(out, "\" font-family=\"Verdana, sans-serif\" font-size=\"12\">\n"
		     "<style>g.f:hover rect{stroke:#000;stroke-width:0.5} g.f{cursor:pointer} "
		     "text.b{cursor:pointer;fill:#3050f0}</style>\n"
		     "<rect width=\"100%%\" height=\"100%%\" fill=\"#fdf6ec\"/>\n"
		     "<text x=\"%d\" y=\"20\" text-anchor=\"middle\" font-size=\"17\">",
		IMAGE_WIDTH / 2);
	untrusted_text__write_xml(out, labels->title, SIZE_MAX);
	fprintf(out, "</text>\n<text x=\"%d\" y=\"38\" text-anchor=\"middle\" fill=\"#555\">",
		IMAGE_WIDTH / 2);
	untrusted_text__write_xml(out, labels->subtitle, SIZE_MAX);
	fprintf(out, "</text>\n<text id=\"reset\" class=\"b\" x=\"10\" y=\"20\">Reset zoom</text>\n"
		     "<text id=\"search\" class=\"b\" x=\"%d\" y=\"20\" text-anchor=\"end\">Search</text>\n"
		     "<text id=\"matched\" x=\"%d\" y=\"38\" text-anchor=\"end\"></text>\n",
		IMAGE_WIDTH - 10, IMAGE_WIDTH - 10);
	if (differential)
		write_change_legend(out);
	else
		write_legend(out, by_class);
}

/* The graph of `report`, or with `before` a differential one of `report` against it. */
static int write_graph(FILE *out, const struct stack_report *report,
		       const struct stack_report *before, const struct flamegraph_labels *labels,
		       const struct frame_origins *origins)
{
	struct node root = {.name = "all"};
	struct layout layout;
	size_t height;
	int by_class, err;

	err = build_tree(&root, report);
	if (!err && before)
		err = add_before(&root, before);
	if (err) {
		free_tree(&root);
		return err;
	}
	height = TOP_MARGIN + tree_depth(&root) * FRAME_HEIGHT + 10;
	/* A report classed by -i has a series on every stack. */
	by_class = !before && stack_report__length(report) && stack_report__entry(report, 0)->series;
	layout = (struct layout){
		.out = out,
		.origins = origins,
		.by_class = by_class,
		.differential = before != NULL,
		.largest_change = before ? largest_change(&root) : 0,
		.px_per_unit = root.value ? (double)(IMAGE_WIDTH - 2 * SIDE_MARGIN) / root.value : 0,
		.height = height - 10,
		.total = root.value,
	};
	write_header(out, labels, height, root.value, by_class, before != NULL);
	if (root.value)
		write_node(&layout, &root, 0, 0);
	fprintf(out, "<script><![CDATA[\n%s]]></script>\n</svg>\n", script);
	free_tree(&root);
	return 0;
}

int flamegraph_svg__write(FILE *out, const struct stack_report *report,
			  const struct flamegraph_labels *labels, const struct frame_origins *origins)
{
	return write_graph(out, report, NULL, labels, origins);
}

int flamegraph_svg__write_diff(FILE *out, const struct stack_report *before,
			       const struct stack_report *after,
			       const struct flamegraph_labels *labels,
			       const struct frame_origins *origins)
{
	return write_graph(out, after, before, labels, origins);
}
