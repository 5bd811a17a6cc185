using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Tests.Cpu.Transfer;

/// <summary>
/// Executes exactly one instruction at the CPU's RIP through its handler and returns the fault it raised,
/// without delivering it. Fault tests use this so they do not depend on exception delivery: a faulting
/// instruction leaves RIP on itself and the test inspects the raised vector and the registers.
/// </summary>
internal static unsafe class Stepper
{
    public static CpuFault? Step(TestMachine m)
    {
        var c = m.Cpu;
        var bytes = new byte[15];
        for (int i = 0; i < 15; i++) bytes[i] = (byte)m.Memory.Read(c.CurrentLinearIp + (ulong)i, 1);
        var decoder = Decoder.Create(c.Bitness, new ByteArrayCodeReader(bytes), c.Rip);
        decoder.Decode(out var instr);
        var u = new Uop();
        UopBuilder.Build(in instr, ref u);
        ulong ipMask = c.Is64 ? ulong.MaxValue : c.Bitness == 32 ? 0xFFFF_FFFFUL : 0xFFFFUL;
        c.NextRip = (c.Rip + u.Length) & ipMask;
        try
        {
            u.Exec(c, ref u);
        }
        catch (CpuFault f)
        {
            return f;
        }
        c.Rip = c.NextRip;
        return null;
    }

    /// <summary>Steps until a fault or until <paramref name="count"/> instructions ran; returns the fault, if any.</summary>
    public static CpuFault? Step(TestMachine m, int count)
    {
        for (int i = 0; i < count; i++)
            if (Step(m) is { } f) return f;
        return null;
    }
}
