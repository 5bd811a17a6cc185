using Smp.Devices.Cpu;
using Smp.Devices.Memory;

namespace Smp.Devices.Tests.Cpu.SystemControl;

/// <summary>
/// The modelled processor's identity and its model-specific registers: CPUID leaves beyond 0/1 (cache, topology,
/// structured features, frequency), the dynamic bits IA32_MISC_ENABLE controls, CR4's writable bits, and the MSRs a
/// Linux 6.x boot and kvm-unit-tests `msr` touch.
/// </summary>
public sealed class CpuModelTests : IDisposable
{
    private readonly PhysicalMemory _memory = new(1 << 20);
    private readonly CpuCore _cpu;

    public CpuModelTests() => _cpu = new CpuCore(_memory, apicId: 5);

    public void Dispose() => _memory.Dispose();

    private (uint A, uint B, uint C, uint D) Query(uint leaf, uint subleaf = 0)
    {
        Cpuid.Query(_cpu, leaf, subleaf, out uint a, out uint b, out uint c, out uint d);
        return (a, b, c, d);
    }

    [Fact]
    public void The_signature_is_family_6_model_7E_stepping_5()
    {
        Assert.Equal(0x0007_06E5u, Query(1).A);
        Assert.Equal(Cpuid.Signature, CpuCore.CpuidSignature);
    }

    [Fact]
    public void Leaf_7_reports_exactly_the_structured_extended_features_implemented()
    {
        var (a, b, c, d) = Query(7);
        Assert.Equal(0u, a);                                            // no subleaf 1
        // FSGSBASE TSC_ADJUST BMI1 SMEP BMI2 ERMS RDSEED ADX SMAP CLFLUSHOPT CLWB
        Assert.Equal(0x019C_038Bu, b);
        Assert.Equal(1u << 2 | 1u << 22, c);                            // UMIP RDPID
        Assert.Equal(1u << 4 | 1u << 29, d);                            // FSRM ARCH_CAPABILITIES
        Assert.Equal((0u, 0u, 0u, 0u), Query(7, 1));
    }

    [Fact]
    public void Leaf_4_describes_four_caches_shared_per_core_and_per_package()
    {
        _cpu.CoresPerPackage = 4;
        var l1d = Query(4, 0);
        Assert.Equal(1u, l1d.A & 0x1F);                                 // data cache
        Assert.Equal(1u, (l1d.A >> 5) & 7);
        Assert.Equal(3u, l1d.A >> 26);                                  // four cores per package
        Assert.Equal(48u * 1024, (((l1d.B >> 22) & 0x3FF) + 1) * ((l1d.B & 0xFFF) + 1) * (l1d.C + 1));
        var l3 = Query(4, 3);
        Assert.Equal(3u, (l3.A >> 5) & 7);
        Assert.Equal(3u, (l3.A >> 14) & 0xFFF);                         // shared by the package's four CPUs
        Assert.Equal(8u << 20, (((l3.B >> 22) & 0x3FF) + 1) * ((l3.B & 0xFFF) + 1) * (l3.C + 1));
        Assert.Equal(0u, Query(4, 4).A & 0x1F);                         // no more caches
        Assert.Equal(0x0000_FF01u, Query(2).A);                          // leaf 2 defers to leaf 4
    }

    [Fact]
    public void Leaf_15_gives_the_tsc_frequency_exactly_and_leaf_16_in_megahertz()
    {
        _cpu.FrequencyHz = 2_400_000_000;
        var (a, b, c, _) = Query(0x15);
        Assert.Equal(2_400_000_000UL, (ulong)c * b / a);
        Assert.Equal((uint)Cpuid.CrystalHz, c);
        var f = Query(0x16);
        Assert.Equal((2400u, 2400u, 100u), (f.A, f.B, f.C));           // base, maximum, 100 MHz bus
        Assert.True(_cpu.TryReadMsr(Msr.PlatformInfo, out ulong info));
        Assert.Equal(24UL, (info >> 8) & 0xFF);                         // 24 × 100 MHz
        Assert.StartsWith("Smp virtual Intel Core (Ice Lake) @ 2.40GHz", Cpuid.BrandString(_cpu.FrequencyHz));
    }

    [Fact]
    public void Misc_enable_limit_cpuid_maxval_caps_the_basic_leaves_at_2()
    {
        Assert.Equal(0x16u, Query(0).A);
        Assert.True(_cpu.TryWriteMsr(Msr.MiscEnable, _cpu.MiscEnable | Msr.MiscEnableLimitCpuidMaxval));
        Assert.Equal(2u, Query(0).A);
        Assert.Equal(Query(2), Query(7));                                // leaves above 2 now read as leaf 2
    }

    [Fact]
    public void Misc_enable_xd_disable_hides_nx_and_forbids_setting_efer_nxe()
    {
        Assert.NotEqual(0u, Query(0x8000_0001).D & Cpuid.ExtEdxNx);
        Assert.True(_cpu.TryWriteMsr(Msr.MiscEnable, _cpu.MiscEnable | Msr.MiscEnableXdDisable));
        Assert.Equal(0u, Query(0x8000_0001).D & Cpuid.ExtEdxNx);
        Assert.False(_cpu.TryWriteMsr(Msr.Efer, Msr.EferNxe));
    }

    [Fact]
    public void Misc_enable_keeps_read_only_bits_and_rejects_reserved_ones_as_kvm_unit_tests_msr_expects()
    {
        ulong before = _cpu.MiscEnable;
        ulong value = (0x4_00C5_0809UL & ~0x1880UL) | (before & 0x1880UL);
        Assert.True(_cpu.TryWriteMsr(Msr.MiscEnable, value));
        Assert.True(_cpu.TryReadMsr(Msr.MiscEnable, out ulong back));
        Assert.Equal(value, back);
        Assert.False(_cpu.TryWriteMsr(Msr.MiscEnable, back | (1UL << 1)));   // reserved
        Assert.True(_cpu.TryWriteMsr(Msr.MiscEnable, back & ~(1UL << 11)));  // read-only bit: kept
        Assert.True(_cpu.TryReadMsr(Msr.MiscEnable, out ulong kept));
        Assert.NotEqual(0UL, kept & (1UL << 11));
    }

    [Fact]
    public void Cr4_accepts_the_reported_features_and_rejects_the_absent_ones()
    {
        ulong ok = CpuCore.Cr4Mce | CpuCore.Cr4Pce | CpuCore.Cr4Umip | CpuCore.Cr4Fsgsbase | CpuCore.Cr4Smep | CpuCore.Cr4Smap;
        Assert.True(_cpu.TryWriteCr4(ok));
        Assert.Equal(ok, _cpu.Cr4);
        foreach (int bit in new[] { 0, 1, 12, 13, 14, 17, 22, 23 })   // VME PVI LA57 VMXE SMXE PCIDE PKE CET
            Assert.False(_cpu.TryWriteCr4(ok | (1UL << bit)), $"CR4 bit {bit}");
    }

    [Fact]
    public void Feature_control_takes_only_the_lock_bit_and_then_refuses_every_write()
    {
        Assert.False(_cpu.TryWriteMsr(Msr.FeatureControl, 1 | (1UL << 2)));   // VMX outside SMX: no VMX here
        Assert.True(_cpu.TryWriteMsr(Msr.FeatureControl, 1));
        Assert.False(_cpu.TryWriteMsr(Msr.FeatureControl, 1));
        Assert.True(_cpu.TryReadMsr(Msr.FeatureControl, out ulong v));
        Assert.Equal(1UL, v);
    }

    [Fact]
    public void Tsc_adjust_follows_tsc_writes_and_moves_the_tsc_when_written()
    {
        _cpu.AdvanceIdleCycles(1000);
        ulong tsc = _cpu.Tsc;
        Assert.True(_cpu.TryWriteMsr(Msr.Tsc, tsc + 500));
        Assert.True(_cpu.TryReadMsr(Msr.TscAdjust, out ulong adjust));
        Assert.Equal(500UL, adjust);
        Assert.True(_cpu.TryWriteMsr(Msr.TscAdjust, 0));                  // undo: the TSC drops by 500
        Assert.Equal(tsc, _cpu.Tsc);
    }

    [Fact]
    public void Arch_capabilities_is_read_only_and_speculation_controls_do_not_exist()
    {
        Assert.True(_cpu.TryReadMsr(Msr.ArchCapabilities, out ulong caps));
        Assert.Equal(CpuCore.ArchCapabilitiesValue, caps);
        Assert.NotEqual(0UL, caps & 1);                                   // RDCL_NO
        Assert.False(_cpu.TryWriteMsr(Msr.ArchCapabilities, 0));
        foreach (uint msr in new uint[] { 0x48, 0x49, 0x10B })            // SPEC_CTRL, PRED_CMD, FLUSH_CMD
        {
            Assert.False(_cpu.TryReadMsr(msr, out _));
            Assert.False(_cpu.TryWriteMsr(msr, 0));
        }
        Assert.Equal(0u, Query(7).D & (1u << 26 | 1u << 27 | 1u << 28 | 1u << 31));
    }

    [Fact]
    public void Machine_check_banks_behave_as_an_error_free_p6_family_mca()
    {
        Assert.True(_cpu.TryReadMsr(Msr.McgCap, out ulong cap));
        Assert.Equal(8UL, cap & 0xFF);
        Assert.NotEqual(0UL, cap & (1UL << 10));                          // CMCI
        for (uint bank = 0; bank < 8; bank++)
        {
            uint ctl = Msr.Mc0Ctl + 4 * bank;
            Assert.True(_cpu.TryWriteMsr(ctl, ulong.MaxValue));
            Assert.False(_cpu.TryWriteMsr(ctl, 0xAAAA_AAAA_AAAA_AAAAUL));  // only all 0s or all 1s
            Assert.True(_cpu.TryReadMsr(ctl, out ulong c));
            Assert.Equal(ulong.MaxValue, c);
            Assert.True(_cpu.TryWriteMsr(ctl + 1, 0));                    // STATUS: cleared only
            Assert.False(_cpu.TryWriteMsr(ctl + 1, 1));
            Assert.True(_cpu.TryReadMsr(ctl + 1, out ulong status));
            Assert.Equal(0UL, status);
            Assert.True(_cpu.TryWriteMsr(ctl + 2, 0xAAAA_AAAA_AAAA_AAAAUL));
            Assert.True(_cpu.TryReadMsr(ctl + 2, out ulong addr));
            Assert.Equal(0xAAAA_AAAA_AAAA_AAAAUL, addr);
            Assert.True(_cpu.TryWriteMsr(Msr.Mc0Ctl2 + bank, (1UL << 30) | 1));
            Assert.False(_cpu.TryWriteMsr(Msr.Mc0Ctl2 + bank, 1UL << 31));
        }
        Assert.False(_cpu.TryReadMsr(Msr.Mc0Ctl + 4 * 8, out _));          // bank 8 does not exist
        Assert.False(_cpu.TryWriteMsr(Msr.Mc0Ctl2 + 8, 0));
        Assert.False(_cpu.TryReadMsr(0x17B, out _));                       // no IA32_MCG_CTL (MCG_CTL_P = 0)
    }

    [Fact]
    public void Debugctl_takes_btf_only()
    {
        Assert.True(_cpu.TryWriteMsr(Msr.DebugCtl, CpuCore.DebugCtlBtf));
        Assert.False(_cpu.TryWriteMsr(Msr.DebugCtl, 1));                  // LBR: no branch records on this CPU
        Assert.True(_cpu.TryReadMsr(Msr.DebugCtl, out ulong v));
        Assert.Equal(CpuCore.DebugCtlBtf, v);
    }

    [Fact]
    public void New_msr_state_survives_a_snapshot()
    {
        Assert.True(_cpu.TryWriteMsr(Msr.FeatureControl, 1));
        Assert.True(_cpu.TryWriteMsr(Msr.Mc0Ctl + 4, ulong.MaxValue));
        Assert.True(_cpu.TryWriteMsr(Msr.TscAdjust, 77));
        var state = _cpu.SaveState();
        using var other = new PhysicalMemory(1 << 20);
        var copy = new CpuCore(other, apicId: 5);
        copy.RestoreState(state);
        Assert.Equal(state, copy.SaveState());
        Assert.True(copy.TryReadMsr(Msr.Mc0Ctl + 4, out ulong ctl));
        Assert.Equal(ulong.MaxValue, ctl);
        Assert.False(copy.TryWriteMsr(Msr.FeatureControl, 1));             // still locked
    }

    [Fact]
    public void Cpus_sharing_a_tsc_domain_never_read_a_count_below_one_already_read()
    {
        using var other = new PhysicalMemory(1 << 20);
        var domain = new TscDomain();
        var ahead = new CpuCore(_memory, apicId: 0) { TscDomain = domain };
        var behind = new CpuCore(other, apicId: 1) { TscDomain = domain };
        ahead.AdvanceIdleCycles(1000);
        behind.AdvanceIdleCycles(400);                      // one quantum behind in host order
        Assert.Equal(1000UL, ahead.Tsc);
        Assert.Equal(1000UL, behind.Tsc);                    // not 400: the other CPU's read came first
        behind.AdvanceIdleCycles(700);
        Assert.Equal(1100UL, behind.Tsc);                    // its own clock again once it is ahead

        var saved = behind.SaveState();
        Assert.Equal(1100UL, saved.TscDomainLatest);
        ahead.AdvanceIdleCycles(5000);
        _ = ahead.Tsc;
        behind.RestoreState(saved);                          // a replay starts from the saved order
        Assert.Equal(1100UL, domain.Latest);
    }
}
