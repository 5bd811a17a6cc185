using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Guest;

/// <summary>
/// arch/x86/realmode/rm/trampoline_64.S: the AP's first code, run at <see cref="KernelLayout.Trampoline"/>
/// from CS:IP = 0x0800:0000 after the SIPI. Layout of the 0x300-byte blob: trampoline_start (16-bit) at +0,
/// startup_32 at +0x100, startup_64 at +0x180, trampoline_header at +0x200 (start, cr3, efer, cr4, then a
/// null IDT descriptor at +0x18, the tr_gdt descriptor at +0x20 and tr_gdt at +0x28).
/// </summary>
internal static class Trampoline
{
    private const int Code32 = 0x100;
    private const int Code64 = 0x180;
    private const int Header = KernelLayout.TrampolineHeader;
    private const int NullIdt = Header + 0x18;
    private const int GdtDescriptor = Header + 0x20;
    private const int Gdt = Header + 0x28;

    /// <summary>Assembles the blob.</summary>
    /// <returns>The bytes (<see cref="KernelLayout.TrampolineSize"/>) and symbols at run-time addresses.</returns>
    public static (byte[] Bytes, List<KernelSymbol> Symbols) Build()
    {
        const ulong b = KernelLayout.Trampoline;
        var blob = new byte[KernelLayout.TrampolineSize];
        var symbols = new List<KernelSymbol>();

        var rm = new CodeChunk("trampoline_start", 16, 0, b, Code32);
        var a = rm.A;
        rm.Function("trampoline_start");
        a.cli();
        a.mov(ax, cs);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(sp, 0x1000);
        a.lidt(__[NullIdt]);
        a.lgdt(__[GdtDescriptor]);
        a.mov(edx, 0x18u);
        a.mov(eax, cr0);
        a.or(al, 1);
        a.mov(cr0, eax);
        var to32 = BitConverter.GetBytes((uint)(b + Code32));
        a.db(0x66, 0xEA, to32[0], to32[1], to32[2], to32[3], 0x08, 0x00); // ljmpl 0x08:startup_32
        Place(rm, blob, 0, symbols);

        var pm = new CodeChunk("trampoline startup_32", 32, b + Code32, 0, Code64 - Code32);
        a = pm.A;
        pm.Function("startup_32");
        a.mov(ds, dx);
        a.mov(es, dx);
        a.mov(ss, dx);
        a.mov(esp, (uint)(b + 0x1000));
        a.mov(eax, __dword_ptr[(uint)(b + Header + 16)]);
        a.mov(cr4, eax);
        a.mov(eax, __dword_ptr[(uint)(b + Header + 8)]);
        a.mov(cr3, eax);
        a.mov(ecx, 0xC0000080u);
        a.mov(eax, __dword_ptr[(uint)(b + Header + 12)]);
        a.xor(edx, edx);
        a.wrmsr();
        a.mov(eax, 0x80010001u); // PG | WP | PE
        a.mov(cr0, eax);
        var to64 = BitConverter.GetBytes((uint)(b + Code64));
        a.db(0xEA, to64[0], to64[1], to64[2], to64[3], 0x10, 0x00); // ljmpl 0x10:startup_64
        Place(pm, blob, Code32, symbols);

        var lm = new CodeChunk("trampoline startup_64", 64, b + Code64, 0, Header - Code64);
        a = lm.A;
        lm.Function("startup_64");
        a.jmp(__qword_ptr[(long)(b + Header)]); // jmp *tr_start
        Place(lm, blob, Code64, symbols);

        // Fixed parts of the header: the null IDT, tr_gdt and its descriptor (A5). start, cr3, efer and
        // cr4 are filled in by setup_real_mode on the BSP.
        BitConverter.TryWriteBytes(blob.AsSpan(GdtDescriptor), (ushort)((Setup16.BootGdt.Length * 8) - 1));
        BitConverter.TryWriteBytes(blob.AsSpan(GdtDescriptor + 2), (uint)(b + Gdt));
        for (var i = 0; i < Setup16.BootGdt.Length; i++)
        {
            BitConverter.TryWriteBytes(blob.AsSpan(Gdt + (i * 8)), Setup16.BootGdt[i]);
        }

        return (blob, symbols);
    }

    private static void Place(CodeChunk chunk, byte[] blob, int offset, List<KernelSymbol> symbols)
    {
        var (bytes, chunkSymbols) = chunk.Assemble();
        bytes.CopyTo(blob, offset);
        symbols.AddRange(chunkSymbols);
    }
}
