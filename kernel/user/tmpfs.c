/*
 * The RAM file system at /tmp (tmpfs.h): a tree of nodes, each directory
 * a singly linked list of its entries; a regular file an array of page
 * pointers (NULL: a hole). One mutex over it all.
 */
#include <stddef.h>
#include <string.h>
#include "kernel/sched/wait.h"
#include "kernel/user/tmpfs.h"
#include "kernel/user/user_errno.h"
#include "kernel/user/user_fcntl.h"
#include "kernel/user/user_path.h"
#include "mm/slab.h"

#define TMPFS_PAGE 4096u

struct tmpfs_node {
	uint64_t inode;
	uint32_t mode;			/* S_IFREG or S_IFDIR, and permissions */
	bool linked;			/* has a name in the tree */
	unsigned opens;			/* open-file records on it */
	struct tmpfs_node *parent;	/* the directory holding it */
	struct tmpfs_node *children;	/* directories: the first entry */
	struct tmpfs_node *sibling;	/* the next entry of parent */
	char name[TMPFS_NAME_MAX + 1];
	uint64_t size;			/* regular files */
	uint8_t **pages;		/* page_slots pointers; NULL: a hole */
	size_t page_slots;
};

static struct mutex tmpfs_lock = MUTEX_INIT(tmpfs_lock, "tmpfs");
static struct tmpfs_node tmpfs_root = {
	.inode = 3, .mode = S_IFDIR | 01777, .linked = true, .name = "tmp",
};
static uint64_t tmpfs_pages_used, tmpfs_nodes_used;
static uint64_t tmpfs_next_inode = 1ull << 32;
static const uint8_t tmpfs_zeros[TMPFS_PAGE];

static bool tmpfs_is_directory(const struct tmpfs_node *node)
{
	return (node->mode & S_IFMT) == S_IFDIR;
}

/* The entry called name (length bytes) of directory, or NULL. */
static struct tmpfs_node *tmpfs_child(struct tmpfs_node *directory,
				      const char *name, size_t length)
{
	for (struct tmpfs_node *node = directory->children; node;
	     node = node->sibling) {
		if (strlen(node->name) == length &&
		    memcmp(node->name, name, length) == 0)
			return node;
	}
	return NULL;
}

/* The node at path (lock held): it, or NULL with *error -ENOENT or
 * -ENOTDIR (a component on the way is a file). */
static struct tmpfs_node *tmpfs_walk(const char *path, int *error)
{
	struct tmpfs_node *node = &tmpfs_root;

	*error = -USER_ENOENT;
	if (!user_path_within(path, TMPFS_ROOT))
		return NULL;
	path += strlen(TMPFS_ROOT);
	while (*path == '/') {
		const char *name = path + 1;
		const char *end = name;
		while (*end && *end != '/')
			end++;
		if (!tmpfs_is_directory(node)) {
			*error = -USER_ENOTDIR;
			return NULL;
		}
		node = tmpfs_child(node, name, (size_t)(end - name));
		if (!node)
			return NULL;
		path = end;
	}
	return node;
}

/* The directory that holds (or would hold) path's last component, with
 * lock held: 0, or -ENOENT, -ENOTDIR, -EBUSY (path is the root),
 * -ENAMETOOLONG (the name). */
static int tmpfs_parent(const char *path, struct tmpfs_node **parent,
			const char **name)
{
	char directory[USER_PATH_MAX];
	int error;

	if (!user_path_within(path, TMPFS_ROOT))
		return -USER_ENOENT;
	if (strcmp(path, TMPFS_ROOT) == 0)
		return -USER_EBUSY;
	*name = user_path_last(path);
	if (strlen(*name) > TMPFS_NAME_MAX)
		return -USER_ENAMETOOLONG;
	size_t length = (size_t)(*name - 1 - path);
	memcpy(directory, path, length);
	directory[length] = '\0';
	*parent = tmpfs_walk(directory, &error);
	if (!*parent)
		return error;
	return tmpfs_is_directory(*parent) ? 0 : -USER_ENOTDIR;
}

/* A new node called name in parent (lock held): it, or NULL (the node
 * limit or memory). */
static struct tmpfs_node *tmpfs_node_new(struct tmpfs_node *parent,
					 const char *name, uint32_t mode)
{
	if (tmpfs_nodes_used >= TMPFS_NODES_MAX)
		return NULL;
	struct tmpfs_node *node = kmalloc(sizeof(*node));
	if (!node)
		return NULL;
	memset(node, 0, sizeof(*node));
	node->inode = tmpfs_next_inode++;
	node->mode = mode;
	node->linked = true;
	node->parent = parent;
	strlcpy(node->name, name, sizeof(node->name));
	node->sibling = parent->children;
	parent->children = node;
	tmpfs_nodes_used++;
	return node;
}

/* Frees pages first .. page_slots - 1 of node (lock held). */
static void tmpfs_pages_free(struct tmpfs_node *node, size_t first)
{
	for (size_t i = first; i < node->page_slots; i++) {
		if (node->pages[i]) {
			kfree(node->pages[i]);
			node->pages[i] = NULL;
			tmpfs_pages_used--;
		}
	}
}

/* Frees node once it has neither a name nor an open (lock held). */
static void tmpfs_node_free_if_unused(struct tmpfs_node *node)
{
	if (node->linked || node->opens || node == &tmpfs_root)
		return;
	tmpfs_pages_free(node, 0);
	kfree(node->pages);
	kfree(node);
	tmpfs_nodes_used--;
}

/* Takes node's name out of its directory (lock held). */
static void tmpfs_detach(struct tmpfs_node *node)
{
	struct tmpfs_node **link = &node->parent->children;

	while (*link != node)
		link = &(*link)->sibling;
	*link = node->sibling;
	node->sibling = NULL;
	node->linked = false;
}

/* Checks and applies open's flags to an existing node (lock held). */
static int tmpfs_open_existing(struct tmpfs_node *node, uint32_t flags,
			       bool write)
{
	if ((flags & O_CREAT) && (flags & O_EXCL))
		return -USER_EEXIST;
	if (tmpfs_is_directory(node))
		return write || (flags & O_TRUNC) ? -USER_EISDIR : 0;
	if (flags & O_DIRECTORY)
		return -USER_ENOTDIR;
	if ((flags & O_TRUNC) && write) {
		tmpfs_pages_free(node, 0);
		node->size = 0;
	}
	return 0;
}

/* open with lock held. */
static int tmpfs_open_locked(const char *path, uint32_t flags, bool write,
			     uint32_t mode, struct tmpfs_node **out)
{
	struct tmpfs_node *parent;
	const char *name;
	int error;

	*out = tmpfs_walk(path, &error);
	if (*out)
		return tmpfs_open_existing(*out, flags, write);
	if (error != -USER_ENOENT || !(flags & O_CREAT))
		return error;
	error = tmpfs_parent(path, &parent, &name);
	if (error)
		return error;
	if (flags & O_DIRECTORY)
		return -USER_EINVAL;	/* as Linux: no creating a directory so */
	*out = tmpfs_node_new(parent, name, S_IFREG | (mode & 07777));
	return *out ? 0 : -USER_ENOSPC;
}

int tmpfs_open(const char *path, uint32_t flags, bool write, uint32_t mode,
	       struct tmpfs_node **out)
{
	mutex_lock(&tmpfs_lock);
	int result = tmpfs_open_locked(path, flags, write, mode, out);
	if (result == 0)
		(*out)->opens++;
	else
		*out = NULL;	/* nothing opened, whatever the walk found */
	mutex_unlock(&tmpfs_lock);
	return result;
}

void tmpfs_close(struct tmpfs_node *node)
{
	mutex_lock(&tmpfs_lock);
	node->opens--;
	tmpfs_node_free_if_unused(node);
	mutex_unlock(&tmpfs_lock);
}

long tmpfs_read(struct tmpfs_node *node, struct file_buffer buffer,
		uint64_t length, uint64_t offset)
{
	uint64_t done = 0;
	long result = 0;

	mutex_lock(&tmpfs_lock);
	if (tmpfs_is_directory(node))
		result = -USER_EISDIR;
	else if (offset < node->size && length > node->size - offset)
		length = node->size - offset;
	while (result == 0 && offset < node->size && done < length) {
		uint64_t at = offset + done;
		size_t index = (size_t)(at / TMPFS_PAGE);
		size_t within = (size_t)(at % TMPFS_PAGE);
		size_t step = TMPFS_PAGE - within;
		if (step > length - done)
			step = (size_t)(length - done);
		const uint8_t *page = index < node->page_slots &&
				      node->pages[index] ? node->pages[index]
							 : tmpfs_zeros;
		if (file_buffer_to(buffer, done, page + within, step))
			result = -USER_EFAULT;
		else
			done += step;
	}
	mutex_unlock(&tmpfs_lock);
	return done ? (long)done : result;
}

/* Makes room for pages [0, count) in node's array (lock held): 0 or
 * -ENOMEM. */
static int tmpfs_slots_reserve(struct tmpfs_node *node, size_t count)
{
	if (count <= node->page_slots)
		return 0;
	size_t slots = node->page_slots ? node->page_slots : 4;
	while (slots < count)
		slots *= 2;
	uint8_t **pages = kmalloc(slots * sizeof(*pages));
	if (!pages)
		return -USER_ENOMEM;
	memset(pages, 0, slots * sizeof(*pages));
	if (node->page_slots)
		memcpy(pages, node->pages, node->page_slots * sizeof(*pages));
	kfree(node->pages);
	node->pages = pages;
	node->page_slots = slots;
	return 0;
}

/* The page index of node, made when a hole (lock held): it, or NULL
 * (-ENOSPC: the limit or memory). */
static uint8_t *tmpfs_page(struct tmpfs_node *node, size_t index)
{
	if (node->pages[index])
		return node->pages[index];
	if (tmpfs_pages_used >= TMPFS_PAGES_MAX)
		return NULL;
	uint8_t *page = kmalloc(TMPFS_PAGE);
	if (!page)
		return NULL;
	memset(page, 0, TMPFS_PAGE);
	tmpfs_pages_used++;
	node->pages[index] = page;
	return page;
}

/* Copies length bytes from buffer into node at offset (lock held, the
 * slots reserved): how many went, *result set when short. */
static uint64_t tmpfs_write_pages(struct tmpfs_node *node,
				  struct file_buffer buffer, uint64_t length,
				  uint64_t offset, long *result)
{
	uint64_t done = 0;

	while (done < length) {
		uint64_t at = offset + done;
		size_t within = (size_t)(at % TMPFS_PAGE);
		size_t step = TMPFS_PAGE - within;
		if (step > length - done)
			step = (size_t)(length - done);
		uint8_t *page = tmpfs_page(node, (size_t)(at / TMPFS_PAGE));
		if (!page) {
			*result = -USER_ENOSPC;
			break;
		}
		if (file_buffer_from(page + within, buffer, done, step)) {
			*result = -USER_EFAULT;
			break;
		}
		done += step;
	}
	return done;
}

long tmpfs_write(struct tmpfs_node *node, struct file_buffer buffer,
		 uint64_t length, uint64_t *offset, bool append)
{
	long result = 0;
	uint64_t done = 0;

	mutex_lock(&tmpfs_lock);
	uint64_t at = append ? node->size : *offset;
	if (tmpfs_is_directory(node))
		result = -USER_EISDIR;
	else if (length && at >= TMPFS_FILE_MAX)
		result = -USER_EFBIG;
	else if (length > TMPFS_FILE_MAX - at)
		length = TMPFS_FILE_MAX - at;
	if (result == 0 && length)
		result = tmpfs_slots_reserve(node, (size_t)((at + length +
					TMPFS_PAGE - 1) / TMPFS_PAGE));
	if (result == 0)
		done = tmpfs_write_pages(node, buffer, length, at, &result);
	if (at + done > node->size)
		node->size = at + done;
	*offset = at + done;
	mutex_unlock(&tmpfs_lock);
	return done ? (long)done : result;
}

int tmpfs_truncate(struct tmpfs_node *node, uint64_t size)
{
	int result = 0;

	mutex_lock(&tmpfs_lock);
	if (tmpfs_is_directory(node)) {
		result = -USER_EISDIR;
	} else if (size > TMPFS_FILE_MAX) {
		result = -USER_EFBIG;
	} else if (size < node->size) {
		size_t keep = (size_t)((size + TMPFS_PAGE - 1) / TMPFS_PAGE);
		tmpfs_pages_free(node, keep);
		/* The kept page's tail reads as zeros if the file grows. */
		if (size % TMPFS_PAGE && keep <= node->page_slots &&
		    node->pages[keep - 1])
			memset(node->pages[keep - 1] + size % TMPFS_PAGE, 0,
			       TMPFS_PAGE - size % TMPFS_PAGE);
	}
	if (result == 0)
		node->size = size;
	mutex_unlock(&tmpfs_lock);
	return result;
}

uint64_t tmpfs_size(struct tmpfs_node *node)
{
	mutex_lock(&tmpfs_lock);
	uint64_t size = node->size;
	mutex_unlock(&tmpfs_lock);
	return size;
}

/* stat of node (lock held). */
static void tmpfs_stat_locked(const struct tmpfs_node *node,
			      struct tmpfs_stat *out)
{
	uint64_t pages = 0, subdirectories = 0;

	for (size_t i = 0; i < node->page_slots; i++)
		pages += node->pages[i] != NULL;
	for (const struct tmpfs_node *child = node->children; child;
	     child = child->sibling)
		subdirectories += tmpfs_is_directory(child);
	out->mode = node->mode;
	out->inode = node->inode;
	out->size = tmpfs_is_directory(node) ? TMPFS_PAGE : node->size;
	out->links = tmpfs_is_directory(node) ? 2 + subdirectories
					      : node->linked;
	out->blocks = pages * (TMPFS_PAGE / 512);
}

void tmpfs_node_stat(struct tmpfs_node *node, struct tmpfs_stat *out)
{
	mutex_lock(&tmpfs_lock);
	tmpfs_stat_locked(node, out);
	mutex_unlock(&tmpfs_lock);
}

int tmpfs_stat(const char *path, struct tmpfs_stat *out)
{
	int error;

	mutex_lock(&tmpfs_lock);
	struct tmpfs_node *node = tmpfs_walk(path, &error);
	if (node)
		tmpfs_stat_locked(node, out);
	mutex_unlock(&tmpfs_lock);
	return node ? 0 : error;
}

bool tmpfs_directory_entry(struct tmpfs_node *node, uint64_t position,
			   struct tmpfs_entry *out)
{
	struct tmpfs_node *entry = NULL;

	mutex_lock(&tmpfs_lock);
	if (position < 2) {
		strlcpy(out->name, position == 0 ? "." : "..", sizeof(out->name));
		out->inode = position == 0 || !node->parent
				     ? node->inode : node->parent->inode;
		out->directory = true;
	} else if (node->linked) {
		entry = node->children;
		for (uint64_t i = 2; entry && i < position; i++)
			entry = entry->sibling;
		if (entry) {
			strlcpy(out->name, entry->name, sizeof(out->name));
			out->inode = entry->inode;
			out->directory = tmpfs_is_directory(entry);
		}
	}
	mutex_unlock(&tmpfs_lock);
	return position < 2 || entry;
}

int tmpfs_mkdir(const char *path, uint32_t mode)
{
	struct tmpfs_node *parent;
	const char *name;
	int error;

	mutex_lock(&tmpfs_lock);
	int result = tmpfs_walk(path, &error) ? -USER_EEXIST
					      : tmpfs_parent(path, &parent, &name);
	if (result == -USER_EBUSY)
		result = -USER_EEXIST;
	if (result == 0 && !tmpfs_node_new(parent, name, S_IFDIR | (mode & 07777)))
		result = -USER_ENOSPC;
	mutex_unlock(&tmpfs_lock);
	return result;
}

/* The existing node at path that unlink, rmdir or rename acts on (lock
 * held): 0, or -ENOENT, -ENOTDIR, -EBUSY (the root). */
static int tmpfs_find_named(const char *path, struct tmpfs_node **out)
{
	struct tmpfs_node *parent;
	const char *name;
	int result = tmpfs_parent(path, &parent, &name);

	if (result == -USER_ENAMETOOLONG)
		return -USER_ENOENT;
	if (result)
		return result;
	*out = tmpfs_child(parent, name, strlen(name));
	return *out ? 0 : -USER_ENOENT;
}

int tmpfs_unlink(const char *path)
{
	struct tmpfs_node *node;

	mutex_lock(&tmpfs_lock);
	int result = tmpfs_find_named(path, &node);
	if (result == -USER_EBUSY || (result == 0 && tmpfs_is_directory(node)))
		result = -USER_EISDIR;
	if (result == 0) {
		tmpfs_detach(node);
		tmpfs_node_free_if_unused(node);
	}
	mutex_unlock(&tmpfs_lock);
	return result;
}

int tmpfs_rmdir(const char *path)
{
	struct tmpfs_node *node;

	mutex_lock(&tmpfs_lock);
	int result = tmpfs_find_named(path, &node);
	if (result == 0 && !tmpfs_is_directory(node))
		result = -USER_ENOTDIR;
	else if (result == 0 && node->children)
		result = -USER_ENOTEMPTY;
	if (result == 0) {
		tmpfs_detach(node);
		tmpfs_node_free_if_unused(node);
	}
	mutex_unlock(&tmpfs_lock);
	return result;
}

/* rename with lock held. */
static int tmpfs_rename_locked(const char *from, const char *to)
{
	struct tmpfs_node *node, *parent, *target;
	const char *name;
	int result = tmpfs_find_named(from, &node);

	if (result)
		return result == -USER_EBUSY ? -USER_EXDEV : result;
	if (tmpfs_is_directory(node))
		return -USER_EXDEV;
	result = tmpfs_parent(to, &parent, &name);
	if (result)
		return result == -USER_EBUSY ? -USER_EISDIR : result;
	target = tmpfs_child(parent, name, strlen(name));
	if (target == node)
		return 0;
	if (target && tmpfs_is_directory(target))
		return -USER_EISDIR;
	if (target) {
		tmpfs_detach(target);
		tmpfs_node_free_if_unused(target);
	}
	tmpfs_detach(node);
	strlcpy(node->name, name, sizeof(node->name));
	node->parent = parent;
	node->sibling = parent->children;
	parent->children = node;
	node->linked = true;
	return 0;
}

int tmpfs_rename(const char *from, const char *to)
{
	mutex_lock(&tmpfs_lock);
	int result = tmpfs_rename_locked(from, to);
	mutex_unlock(&tmpfs_lock);
	return result;
}

void tmpfs_usage(uint64_t *pages, uint64_t *nodes)
{
	mutex_lock(&tmpfs_lock);
	*pages = tmpfs_pages_used;
	*nodes = tmpfs_nodes_used;
	mutex_unlock(&tmpfs_lock);
}
