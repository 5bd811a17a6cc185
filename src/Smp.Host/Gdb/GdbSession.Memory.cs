using Smp.Devices.Cpu;

namespace Smp.Host.Gdb;

// m, M and X: guest memory at virtual (linear) addresses, through the selected CPU's current translation, or at physical
// addresses in QEMU's physical memory mode (Qqemu.PhyMemMode:1). A page the CPU cannot translate is an error reply, never a
// guest #PF; device memory is neither read nor written (side effects).
internal sealed partial class GdbSession
{
    // The most bytes one m reply carries (two hex digits each).
    private const int MaxMemoryReply = (PacketSize / 2) - 16;

    // Set by Qqemu.PhyMemMode:1 (for the connection's lifetime, as in QEMU).
    private bool _physicalMemory;

    private string ReadMemory(ReadOnlySpan<char> args)
    {
        if (!TryParseAddressLength(args, out ulong address, out ulong length)) return Invalid;
        var bytes = new byte[(int)Math.Min(length, MaxMemoryReply)];
        var cpu = _machine.Cores[_generalCpu];
        int read = _physicalMemory ? cpu.ReadPhysicalForDebugger(address, bytes) : ReadLinear(cpu, address, bytes);
        return read == 0 && bytes.Length > 0 ? Fault : Rsp.Hex(bytes.AsSpan(0, read));
    }

    private string WriteMemory(string args, bool binary)
    {
        int colon = args.IndexOf(':');
        if (colon < 0 || !TryParseAddressLength(args.AsSpan(0, colon), out ulong address, out ulong length)) return Invalid;
        var payload = args.AsSpan(colon + 1);
        byte[]? data = binary ? Rsp.Unescape(System.Text.Encoding.Latin1.GetBytes(payload.ToString())) : Rsp.FromHex(payload);
        if (data is null || (ulong)data.Length != length) return Invalid;
        var cpu = _machine.Cores[_generalCpu];
        bool written = _physicalMemory
            ? cpu.Memory.IsRam(address, (ulong)data.Length) && cpu.WritePhysicalForDebugger(address, data) == data.Length
            : WriteLinear(cpu, address, data);
        return written ? "OK" : Fault;
    }

    private static bool TryParseAddressLength(ReadOnlySpan<char> args, out ulong address, out ulong length)
    {
        length = 0;
        int comma = args.IndexOf(',');
        return comma >= 0 & Rsp.TryParseHex(args[..Math.Max(comma, 0)], out address) && Rsp.TryParseHex(args[(comma + 1)..], out length);
    }

    /// <summary>Reads linear memory as <paramref name="cpu"/> translates it; returns how many bytes were readable from the start.</summary>
    /// <param name="cpu">The CPU whose translation is used.</param>
    /// <param name="address">The linear address.</param>
    /// <param name="destination">Where the bytes go.</param>
    /// <returns>The bytes read before the first unmapped or device byte.</returns>
    internal static int ReadLinear(CpuCore cpu, ulong address, Span<byte> destination)
    {
        int done = 0;
        while (done < destination.Length)
        {
            ulong la = address + (ulong)done;
            if (!cpu.TryTranslateForDebugger(la, out ulong pa)) break;
            int chunk = (int)Math.Min((ulong)(destination.Length - done), 0x1000 - (la & 0xFFF));
            int got = cpu.ReadPhysicalForDebugger(pa, destination.Slice(done, chunk));
            done += got;
            if (got < chunk) break;
        }

        return done;
    }

    // Writes all of it or nothing: every page must translate to RAM before the first byte is written.
    private static bool WriteLinear(CpuCore cpu, ulong address, ReadOnlySpan<byte> data)
    {
        var pieces = new List<(ulong Physical, int Offset, int Length)>();
        int done = 0;
        while (done < data.Length)
        {
            ulong la = address + (ulong)done;
            if (!cpu.TryTranslateForDebugger(la, out ulong pa)) return false;
            int chunk = (int)Math.Min((ulong)(data.Length - done), 0x1000 - (la & 0xFFF));
            if (!cpu.Memory.IsRam(pa, (ulong)chunk)) return false;
            pieces.Add((pa, done, chunk));
            done += chunk;
        }

        foreach (var (physical, offset, length) in pieces)
            if (cpu.WritePhysicalForDebugger(physical, data.Slice(offset, length)) != length) return false;
        return true;
    }
}
