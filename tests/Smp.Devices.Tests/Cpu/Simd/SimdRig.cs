using Smp.Devices.Cpu;
using Smp.Devices.Tests.Cpu.SystemControl;

namespace Smp.Devices.Tests.Cpu.Simd;

/// <summary>A 64-bit test CPU with SSE enabled the way an OS does it (CR4.OSFXSR, OSXMMEXCPT, OSXSAVE) and XMM helpers.</summary>
internal static class SimdRig
{
    public const ulong Data = TestMachine.DataBase;

    public static TestMachine LongMode(bool osxsave = true)
    {
        var m = TestMachine.LongMode();
        m.Cpu.Cr4 |= CpuCore.Cr4Osfxsr | CpuCore.Cr4Osxmmexcpt | (osxsave ? CpuCore.Cr4Osxsave : 0);
        return m;
    }

    public static void SetXmm(CpuCore c, int n, ulong low, ulong high = 0)
    {
        c.Xmm[2 * n] = low;
        c.Xmm[2 * n + 1] = high;
    }

    public static (ulong Low, ulong High) Xmm(CpuCore c, int n) => (c.Xmm[2 * n], c.Xmm[2 * n + 1]);

    public static void SetSingles(CpuCore c, int n, float a, float b = 0, float d = 0, float e = 0) =>
        SetXmm(c, n, Bits(a) | ((ulong)Bits(b) << 32), Bits(d) | ((ulong)Bits(e) << 32));

    public static uint Bits(float f) => BitConverter.SingleToUInt32Bits(f);

    public static ulong Bits(double d) => BitConverter.DoubleToUInt64Bits(d);

    public static uint Single(CpuCore c, int n, int lane) => (uint)(c.Xmm[2 * n + lane / 2] >> (32 * (lane & 1)));

    /// <summary>Runs to HLT and fails on any fault.</summary>
    public static void Run(TestMachine m) => SystemTestKit.RunToHalt(m);

    /// <summary>Runs until the first fault and returns it.</summary>
    public static (int Vector, uint ErrorCode) Fault(TestMachine m) => SystemTestKit.RunToFault(m);
}
