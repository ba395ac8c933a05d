/**
 * Berth's default seccomp profile, as data: an allowlist equivalent to
 * Docker's default (moby profiles/seccomp/default.json, 2023+), written in
 * our own shape. Anything not listed fails with EPERM. Rules marked with
 * `includes` apply only when the container holds one of those capabilities,
 * runs on one of those architectures, or on a kernel at least that new;
 * `excludes` is the opposite. {@link resolveSeccomp} turns it into the OCI
 * `linux.seccomp` object for one container.
 *
 * Syscall names the host's libseccomp does not know (newer than it, or of
 * another architecture) are skipped by runc and crun.
 */

/** A rule before it is resolved for a container. */
export interface SeccompRuleTemplate {
  names: string[];
  /** An OCI seccomp action such as SCMP_ACT_ALLOW or SCMP_ACT_ERRNO. */
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; op: string }[];
  includes?: { caps?: string[]; arches?: string[]; minKernel?: string };
  excludes?: { caps?: string[]; arches?: string[] };
}

/** A profile before it is resolved for a container (Docker's profile shape, simplified). */
export interface SeccompProfileTemplate {
  defaultAction: string;
  /** EPERM in the default profile, so a denied call looks like a permission problem, not a missing syscall. */
  defaultErrnoRet?: number;
  /** Native architecture (Go/Docker name) → the seccomp architectures a process there can use. */
  architectures: Record<string, string[]>;
  rules: SeccompRuleTemplate[];
}

const words = (text: string): string[] => text.split(/\s+/).filter(Boolean);

/** Allowed for everyone: plain process, file, memory, time, signal, socket and IPC calls. */
const BASE_ALLOWLIST = words(`
  accept accept4 access adjtimex alarm
  bind brk
  capget capset chdir chmod chown chown32 clock_adjtime clock_adjtime64 clock_getres
  clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep clock_nanosleep_time64 close
  close_range connect copy_file_range creat
  dup dup2 dup3
  epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
  epoll_wait_old eventfd eventfd2 execve execveat exit exit_group
  faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat
  fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr
  fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex
  futex_time64 futex_waitv futimesat
  get_robust_list get_thread_area getcpu getcwd getdents getdents64 getegid getegid32 geteuid
  geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid
  getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 getrlimit getrusage
  getsid getsockname getsockopt gettid gettimeofday getuid getuid32 getxattr
  inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel io_destroy io_getevents
  io_pgetevents io_pgetevents_time64 io_setup io_submit io_uring_enter io_uring_register
  io_uring_setup ioctl ioprio_get ioprio_set ipc
  kill
  landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link
  linkat listen listxattr llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64
  madvise membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2
  mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open mq_timedreceive
  mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv
  msgsnd msync munlock munlockall munmap
  name_to_handle_at nanosleep newfstatat _newselect
  open openat openat2
  pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll
  ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64
  pwrite64 pwritev pwritev2
  read readahead readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg
  remap_file_pages removexattr rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction
  rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait
  rt_sigtimedwait_time64 rt_tgsigqueueinfo
  sched_get_priority_max sched_get_priority_min sched_getaffinity sched_getattr sched_getparam
  sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity
  sched_setattr sched_setparam sched_setscheduler sched_yield seccomp select semctl semget semop
  semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto set_robust_list
  set_thread_area set_tid_address setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32
  setgroups setgroups32 setitimer setpgid setpriority setregid setregid32 setresgid setresgid32
  setresuid setresuid32 setreuid setreuid32 setrlimit setsid setsockopt setuid setuid32 setxattr
  shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn
  socketcall socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat sync
  sync_file_range syncfs sysinfo
  tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64
  timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime
  timerfd_settime64 times tkill truncate truncate64
  ugetrlimit umask uname unlink unlinkat utime utimensat utimensat_time64 utimes
  vfork vmsplice
  wait4 waitid waitpid write writev`);

/** clone() flags that create namespaces (CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET). */
const CLONE_NAMESPACE_FLAGS = 0x7e020000;

const allow = (
  names: string,
  extra: Omit<SeccompRuleTemplate, 'names' | 'action'> = {},
): SeccompRuleTemplate => ({
  names: words(names),
  action: 'SCMP_ACT_ALLOW',
  ...extra,
});
const withCap = (cap: string, names: string): SeccompRuleTemplate =>
  allow(names, { includes: { caps: [cap] } });
const onArch = (arches: string, names: string): SeccompRuleTemplate =>
  allow(names, { includes: { arches: words(arches) } });
const personality = (value: number): SeccompRuleTemplate =>
  allow('personality', { args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] });

/** Berth's default profile, equivalent to Docker's. */
export const DEFAULT_SECCOMP_PROFILE: SeccompProfileTemplate = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1,
  architectures: {
    amd64: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    arm64: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
    s390x: ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390'],
    riscv64: ['SCMP_ARCH_RISCV64'],
    ppc64le: ['SCMP_ARCH_PPC64LE'],
  },
  rules: [
    { names: BASE_ALLOWLIST, action: 'SCMP_ACT_ALLOW' },
    allow('process_vm_readv process_vm_writev ptrace', { includes: { minKernel: '4.8' } }),
    // AF_VSOCK (40) sockets reach the hypervisor; everything else is fine.
    allow('socket', { args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] }),
    // PER_LINUX, UNAME26, PER_LINUX32, UNAME26|PER_LINUX32, and the query value 0xffffffff.
    ...[0, 8, 0x20000, 0x20008, 0xffffffff].map(personality),
    onArch('ppc64le', 'sync_file_range2 swapcontext'),
    onArch(
      'arm arm64',
      'arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls',
    ),
    onArch('amd64 x32', 'arch_prctl'),
    onArch('amd64 x32 x86', 'modify_ldt'),
    onArch('s390 s390x', 's390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr'),
    onArch('riscv64', 'riscv_flush_icache'),
    withCap('CAP_DAC_READ_SEARCH', 'open_by_handle_at'),
    withCap(
      'CAP_SYS_ADMIN',
      `bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount mount_setattr
       move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname sethostname setns syslog
       umount umount2 unshare`,
    ),
    // Without CAP_SYS_ADMIN, clone() may not create namespaces (s390 swaps the first two arguments).
    allow('clone', {
      args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, op: 'SCMP_CMP_MASKED_EQ' }],
      excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] },
    }),
    allow('clone', {
      args: [{ index: 1, value: CLONE_NAMESPACE_FLAGS, op: 'SCMP_CMP_MASKED_EQ' }],
      includes: { arches: ['s390', 's390x'] },
      excludes: { caps: ['CAP_SYS_ADMIN'] },
    }),
    // clone3 passes its flags in memory seccomp cannot read: ENOSYS makes libc fall back to clone().
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { caps: ['CAP_SYS_ADMIN'] } },
    withCap('CAP_SYS_BOOT', 'reboot'),
    withCap('CAP_SYS_CHROOT', 'chroot'),
    withCap('CAP_SYS_MODULE', 'delete_module init_module finit_module'),
    withCap('CAP_SYS_PACCT', 'acct'),
    withCap('CAP_SYS_PTRACE', 'kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace'),
    withCap('CAP_SYS_RAWIO', 'iopl ioperm'),
    withCap('CAP_SYS_TIME', 'settimeofday stime clock_settime clock_settime64'),
    withCap('CAP_SYS_TTY_CONFIG', 'vhangup'),
    withCap('CAP_SYS_NICE', 'get_mempolicy mbind set_mempolicy set_mempolicy_home_node'),
    withCap('CAP_SYSLOG', 'syslog'),
    withCap('CAP_BPF', 'bpf'),
    withCap('CAP_PERFMON', 'perf_event_open'),
  ],
};
