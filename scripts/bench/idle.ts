/** The bare runtime idling, for its resident memory next to a daemon's. */
setInterval(() => {}, 1 << 30);
