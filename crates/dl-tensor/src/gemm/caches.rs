//! The running CPU's data caches, and the GEMM blocks chosen from them.
//!
//! Only the `MC` rows of an `A` block and the `NC` columns of a `B` panel follow the caches:
//! they decide which elements a block holds, never the order of any sum. `KC` stays the
//! kernel's constant, because the `k`-slices fix the order in which each element of `C` is
//! summed, and results must not depend on the machine's caches.

use std::sync::OnceLock;

use super::kernel::Kernel;

/// Bytes of data cache one core can count on at levels 2 and 3 (a shared cache divided by the
/// CPUs that share it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Caches {
    pub(crate) l2: usize,
    pub(crate) l3: usize,
}

/// The caches the kernels' `MC` and `NC` were fitted on: 1 MiB of L2 per core and 32 MiB of L3
/// shared by 2 cores (the AMD EPYC VMs of BENCHMARKS.md). Also what is assumed when the caches
/// cannot be read.
pub(crate) const REFERENCE: Caches = Caches {
    l2: 1 << 20,
    l3: 16 << 20,
};

/// This CPU's caches, read once: from Linux's `/sys`, else from `cpuid` on x86-64, else
/// [`REFERENCE`]. A level that cannot be read is taken from [`REFERENCE`].
pub(crate) fn caches() -> Caches {
    static CACHES: OnceLock<Caches> = OnceLock::new();
    *CACHES.get_or_init(|| {
        let (l2, l3) = from_sysfs().or_else(from_cpuid).unwrap_or((None, None));
        Caches {
            l2: l2.filter(|&b| b > 0).unwrap_or(REFERENCE.l2),
            l3: l3.filter(|&b| b > 0).unwrap_or(REFERENCE.l3),
        }
    })
}

/// `(MC, NC)` for kernel `K` with `caches`: the kernel's constants scaled by the ratio of the
/// caches to [`REFERENCE`] (L2 for the `A` block, L3 for the `B` panel), between a quarter and
/// four times the constant, and rounded down to whole slivers.
pub(crate) fn block_sizes<T, K: Kernel<T>>(caches: Caches) -> (usize, usize) {
    let scale = |constant: usize, have: usize, reference: usize, unit: usize| {
        let scaled = (constant as u128 * have as u128 / reference as u128) as usize;
        let clamped = scaled.clamp(constant / 4, constant * 4);
        (clamped / unit * unit).max(unit)
    };
    (
        scale(K::MC, caches.l2, REFERENCE.l2, K::MR),
        scale(K::NC, caches.l3, REFERENCE.l3, K::NR),
    )
}

/// `(L2, L3)` bytes per core from `/sys/devices/system/cpu/cpu0/cache`.
fn from_sysfs() -> Option<(Option<usize>, Option<usize>)> {
    let dir = std::fs::read_dir("/sys/devices/system/cpu/cpu0/cache").ok()?;
    let (mut l2, mut l3) = (None, None);
    for entry in dir.flatten() {
        let read = |name: &str| std::fs::read_to_string(entry.path().join(name)).ok();
        let (Some(level), Some(kind), Some(size)) = (read("level"), read("type"), read("size"))
        else {
            continue;
        };
        if kind.trim() == "Instruction" {
            continue;
        }
        let Some(bytes) = parse_size(&size) else {
            continue;
        };
        let sharing = read("shared_cpu_list").map_or(1, |l| count_cpus(&l)).max(1);
        match level.trim() {
            "2" => l2 = Some(bytes / sharing),
            "3" => l3 = Some(bytes / sharing),
            _ => {}
        }
    }
    Some((l2, l3))
}

/// `"1024K"` → 1 MiB; also `M`, `G` and plain bytes.
fn parse_size(s: &str) -> Option<usize> {
    let s = s.trim();
    let (digits, unit) = match s.as_bytes().last()? {
        b'K' => (&s[..s.len() - 1], 1 << 10),
        b'M' => (&s[..s.len() - 1], 1 << 20),
        b'G' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    digits.parse::<usize>().ok()?.checked_mul(unit)
}

/// The CPUs in a list such as `"0-3,8,10-11"`.
fn count_cpus(list: &str) -> usize {
    list.trim()
        .split(',')
        .filter(|part| !part.is_empty())
        .map(|part| match part.split_once('-') {
            Some((a, b)) => match (a.parse::<usize>(), b.parse::<usize>()) {
                (Ok(a), Ok(b)) if b >= a => b - a + 1,
                _ => 1,
            },
            None => 1,
        })
        .sum()
}

/// `(L2, L3)` bytes per core from `cpuid`'s cache descriptions: leaf 4 (Intel), or
/// `0x8000_001D` on AMD and Hygon.
#[cfg(target_arch = "x86_64")]
fn from_cpuid() -> Option<(Option<usize>, Option<usize>)> {
    #[allow(unused_unsafe)]
    // SAFETY: `cpuid` exists on every x86-64 CPU; leaves are only read up to the maximum the
    // CPU reports (older compilers declare the intrinsic unsafe, newer ones safe).
    let cpuid = |leaf: u32, sub: u32| unsafe { std::arch::x86_64::__cpuid_count(leaf, sub) };
    let vendor = cpuid(0, 0);
    let amd = [vendor.ebx, vendor.edx, vendor.ecx] == [0x6874_7541, 0x6974_6e65, 0x444d_4163]
        || [vendor.ebx, vendor.edx, vendor.ecx] == [0x6f67_7948, 0x6e65_476e, 0x656e_6975];
    let leaf = if amd { 0x8000_001D } else { 4 };
    let max = if amd {
        cpuid(0x8000_0000, 0).eax
    } else {
        vendor.eax
    };
    if max < leaf {
        return None;
    }
    let (mut l2, mut l3) = (None, None);
    for sub in 0..16 {
        let r = cpuid(leaf, sub);
        let kind = r.eax & 0x1f;
        if kind == 0 {
            break;
        }
        if kind == 2 {
            continue;
        }
        let level = (r.eax >> 5) & 0x7;
        let sharing = ((r.eax >> 14) & 0xfff) as usize + 1;
        let ways = ((r.ebx >> 22) & 0x3ff) as usize + 1;
        let partitions = ((r.ebx >> 12) & 0x3ff) as usize + 1;
        let line = (r.ebx & 0xfff) as usize + 1;
        let sets = r.ecx as usize + 1;
        let bytes = ways * partitions * line * sets / sharing;
        match level {
            2 => l2 = Some(bytes),
            3 => l3 = Some(bytes),
            _ => {}
        }
    }
    Some((l2, l3))
}

/// No `cpuid` off x86-64.
#[cfg(not(target_arch = "x86_64"))]
fn from_cpuid() -> Option<(Option<usize>, Option<usize>)> {
    None
}

#[cfg(test)]
mod tests {
    use super::{Caches, REFERENCE, block_sizes, count_cpus, parse_size};
    use crate::gemm::kernel::{Kernel, Portable};

    #[test]
    fn sizes_and_cpu_lists_parse_as_sysfs_writes_them() {
        assert_eq!(parse_size("1024K\n"), Some(1 << 20));
        assert_eq!(parse_size("32M"), Some(32 << 20));
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("K"), None);
        assert_eq!(count_cpus("0-1\n"), 2);
        assert_eq!(count_cpus("0,2,4-7"), 6);
        assert_eq!(count_cpus("3"), 1);
    }

    #[test]
    fn the_reference_caches_give_the_kernels_constants_and_others_scale_them() {
        type K = Portable<f32, 4, 8>;
        assert_eq!(block_sizes::<f32, K>(REFERENCE), (K::MC, K::NC));
        let half = Caches {
            l2: REFERENCE.l2 / 2,
            l3: REFERENCE.l3 / 2,
        };
        assert_eq!(block_sizes::<f32, K>(half), (K::MC / 2, K::NC / 2));
        let tiny = Caches { l2: 1, l3: 1 };
        assert_eq!(block_sizes::<f32, K>(tiny), (K::MC / 4, K::NC / 4));
        let huge = Caches {
            l2: usize::MAX,
            l3: usize::MAX,
        };
        assert_eq!(block_sizes::<f32, K>(huge), (4 * K::MC, 4 * K::NC));
        #[cfg(target_arch = "x86_64")]
        {
            use crate::gemm::x86::{Avx2F64, Avx512F32, Avx512F64};
            let odd = Caches {
                l2: REFERENCE.l2 * 3 / 5,
                l3: REFERENCE.l3 * 3 / 7,
            };
            fn whole_slivers<T, K: Kernel<T>>(c: Caches) {
                let (mc, nc) = block_sizes::<T, K>(c);
                assert!(mc % K::MR == 0 && mc >= K::MR, "{mc}");
                assert!(nc % K::NR == 0 && nc >= K::NR, "{nc}");
            }
            whole_slivers::<f32, Avx512F32>(odd);
            whole_slivers::<f64, Avx512F64>(odd);
            whole_slivers::<f64, Avx2F64>(odd);
        }
    }
}
