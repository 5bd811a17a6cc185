using Smp.Devices.Cpu;

namespace Smp.Devices.Tests.Cpu.SystemControl;

/// <summary>Helpers shared by the system-instruction and paging tests.</summary>
internal static class SystemTestKit
{
    /// <summary>Runs until the CPU stops or the budget runs out and returns the first fault raised (asserting there was one).</summary>
    public static (int Vector, uint ErrorCode) RunToFault(TestMachine m, long budget = 10_000)
    {
        m.Cpu.FirstFault = null;
        m.Run(budget);
        Assert.True(m.Cpu.FirstFault.HasValue, "expected the guest code to raise a fault");
        return m.Cpu.FirstFault!.Value;
    }

    /// <summary>Runs to HLT and asserts that no fault was raised on the way.</summary>
    public static void RunToHalt(TestMachine m, long budget = 100_000)
    {
        m.Cpu.FirstFault = null;
        m.Run(budget);
        Assert.Null(m.Cpu.FirstFault);
        Assert.Equal(RunState.Halted, m.Cpu.State);
    }

    /// <summary>Puts a long-mode test CPU at CPL 3 with flat DPL 3 code (0x33) and stack (0x2B) segments.</summary>
    public static void EnterUserMode(CpuCore c)
    {
        c.Segs[Seg.CS] = new SegmentRegister { Selector = 0x33, Limit = 0xFFFF_FFFF, Attributes = 0xA0FB };
        c.Segs[Seg.SS] = new SegmentRegister { Selector = 0x2B, Limit = 0xFFFF_FFFF, Attributes = 0xC0F3 };
        c.Cpl = 3;
        c.UpdateMode();
    }

    /// <summary>Calls <paramref name="action"/> and returns the guest fault it raised (vector, error code).</summary>
    public static (int Vector, uint ErrorCode) Fault(Action action)
    {
        var f = Assert.Throws<CpuFault>(action);
        return (f.Vector, f.ErrorCode);
    }
}

/// <summary>An observer that records the facts system instructions report.</summary>
internal sealed class RecordingObserver : CpuObserver
{
    public readonly List<(CpuMode From, CpuMode To)> Modes = new();
    public readonly List<(DescriptorTable Table, ulong Base, uint Limit)> Tables = new();
    public readonly List<(uint Msr, ulong Value)> Msrs = new();
    public readonly List<ulong> SwapGsBases = new();
    public int Halts;

    public override void ModeChanged(CpuCore cpu, CpuMode from, CpuMode to) => Modes.Add((from, to));
    public override void DescriptorTableLoaded(CpuCore cpu, DescriptorTable table, ulong baseAddress, uint limit, ushort selector) =>
        Tables.Add((table, baseAddress, limit));
    public override void MsrWritten(CpuCore cpu, uint msr, ulong value) => Msrs.Add((msr, value));
    public override void SwapGs(CpuCore cpu, ulong gsBase) => SwapGsBases.Add(gsBase);
    public override void Halted(CpuCore cpu) => Halts++;
}
