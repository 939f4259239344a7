/*
 * netconform's lwIP shim: Debian's liblwip (2.1.3, the Hurd build: NO_SYS=0, pthreads, core
 * locking) on a TAP device, loaded by conformance/targets/lwip_agent.py through ctypes.
 *
 * Built at first use with Debian's gcc into a cache directory (conformance/targets/lwip_build.py),
 * never committed as a binary.
 *
 * Why a netif of our own: lwIP's shipped tapif reads a frame into a pbuf chain sized by
 * PBUF_POOL_BUFSIZE, which the Debian build computes from glibc's TCP_MSS (512, from
 * <netinet/tcp.h>) rather than lwipopts.h's 1460, and corrupts the heap on frames over ~592
 * octets. Here a frame is read into a heap buffer, copied into one PBUF_RAM pbuf of its exact
 * length, and handed to ethernet_input under the core lock; on output the (single, since
 * LWIP_NETIF_TX_SINGLE_PBUF) pbuf is flattened into a heap buffer and written whole.
 *
 * Ordering: the reader thread processes one frame completely (lwIP's answer, if any, is
 * written to the TAP from inside ethernet_input) before reading the next, so lwIP answers
 * synchronously on the wire, as the kernel does. Timers (delayed ACK, retransmission, TIME-WAIT)
 * run in lwIP's own tcpip thread, also under the core lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"

#define NC_MAX_FRAME 65536

static struct netif nc_netif;
static int nc_tap_fd = -1;
static pthread_t nc_reader;
static pthread_mutex_t nc_init_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t nc_init_cond = PTHREAD_COND_INITIALIZER;
static int nc_init_done;
static unsigned char nc_mac[ETH_HWADDR_LEN];

/* Set by the reader from the moment a frame is readable until lwIP has processed it (see
 * nc_settle). */
static atomic_int nc_reader_busy;

/* Frame counters (lwIP's own statistics are compiled out: LWIP_STATS 0). */
static volatile uint64_t nc_rx_frames, nc_tx_frames, nc_rx_refused, nc_tx_errors;

uint64_t nc_counter(int which)
{
    switch (which) {
    case 0: return nc_rx_frames;
    case 1: return nc_tx_frames;
    case 2: return nc_rx_refused;
    case 3: return nc_tx_errors;
    default: return 0;
    }
}

static err_t nc_linkoutput(struct netif *netif, struct pbuf *p)
{
    (void)netif;
    unsigned char *frame = malloc(p->tot_len);
    if (frame == NULL) {
        nc_tx_errors++;
        return ERR_MEM;
    }
    u16_t len = pbuf_copy_partial(p, frame, p->tot_len, 0);
    ssize_t written = write(nc_tap_fd, frame, len);
    free(frame);
    if (written != (ssize_t)len) {
        nc_tx_errors++;
        return ERR_IF;
    }
    nc_tx_frames++;
    return ERR_OK;
}

static err_t nc_netif_init(struct netif *netif)
{
    netif->name[0] = 'n';
    netif->name[1] = 'c';
    netif->mtu = 1500;
    netif->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(netif->hwaddr, nc_mac, ETH_HWADDR_LEN);
    /* No NETIF_FLAG_IGMP nor NETIF_FLAG_MLD6: no membership report the tests did not ask for. */
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    netif->output = etharp_output;
    netif->linkoutput = nc_linkoutput;
    return ERR_OK;
}

static void *nc_read_loop(void *arg)
{
    (void)arg;
    unsigned char *frame = malloc(NC_MAX_FRAME);
    if (frame == NULL)
        abort();
    struct pollfd pfd = {.fd = nc_tap_fd, .events = POLLIN};
    for (;;) {
        atomic_store(&nc_reader_busy, 0);
        if (poll(&pfd, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            abort();
        }
        atomic_store(&nc_reader_busy, 1); /* before the frame leaves the TAP's queue */
        ssize_t n = read(nc_tap_fd, frame, NC_MAX_FRAME);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            abort(); /* the TAP went away: the harness sees the process die */
        }
        if (n == 0 || n > 0xFFFF)
            continue;
        struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)n, PBUF_RAM);
        if (p == NULL) {
            nc_rx_refused++;
            continue;
        }
        pbuf_take(p, frame, (u16_t)n);
        nc_rx_frames++;
        sys_lock_tcpip_core();
        if (nc_netif.input(p, &nc_netif) != ERR_OK) {
            nc_rx_refused++;
            pbuf_free(p);
        }
        sys_unlock_tcpip_core();
    }
    return NULL;
}

static void nc_tcpip_ready(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&nc_init_mutex);
    nc_init_done = 1;
    pthread_cond_signal(&nc_init_cond);
    pthread_mutex_unlock(&nc_init_mutex);
}

static int nc_open_tap(const char *name)
{
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    return fd;
}

/*
 * Wait (at most `max_us` microseconds) until every frame the TAP holds has gone through lwIP:
 * the agent calls it before each socket call, so a call sees the frames the tester sent before
 * it, as a call on the kernel DUT does (the kernel handles a veth frame within the sender's
 * system call). A frame is either queued on the TAP (readable) or being processed (busy, set
 * before it is read), so there is no moment when it is neither. Returns 0 once settled, -1 on
 * the time limit.
 */
int nc_settle(int max_us)
{
    struct pollfd pfd = {.fd = nc_tap_fd, .events = POLLIN};
    for (int waited = 0; waited <= max_us; waited += 20) {
        if (!atomic_load(&nc_reader_busy) && poll(&pfd, 1, 0) == 0)
            return 0;
        usleep(20);
    }
    return -1;
}

/*
 * Start lwIP on TAP `tap` with `mac` (6 octets) and the IPv4 address/netmask (network order).
 * Returns 0, or a negative errno (the TAP could not be opened) or -1000 - lwIP error.
 */
int nc_start(const char *tap, const unsigned char *mac, uint32_t addr, uint32_t netmask)
{
    nc_tap_fd = nc_open_tap(tap);
    if (nc_tap_fd < 0)
        return nc_tap_fd;
    tcpip_init(nc_tcpip_ready, NULL);
    pthread_mutex_lock(&nc_init_mutex);
    while (!nc_init_done)
        pthread_cond_wait(&nc_init_cond, &nc_init_mutex);
    pthread_mutex_unlock(&nc_init_mutex);

    ip4_addr_t ip, mask, gw;
    ip.addr = addr;
    mask.addr = netmask;
    ip4_addr_set_zero(&gw); /* no gateway: the kernel DUT has no default route either */
    memcpy(nc_mac, mac, ETH_HWADDR_LEN);
    sys_lock_tcpip_core();
    struct netif *added = netif_add(&nc_netif, &ip, &mask, &gw, NULL, nc_netif_init,
                                    ethernet_input);
    if (added == NULL) {
        sys_unlock_tcpip_core();
        return -1000 - ERR_IF;
    }
    netif_set_default(&nc_netif);
    netif_set_up(&nc_netif);
    netif_set_link_up(&nc_netif);
    sys_unlock_tcpip_core();
    if (pthread_create(&nc_reader, NULL, nc_read_loop, NULL) != 0)
        return -1000 - ERR_MEM;
    return 0;
}
