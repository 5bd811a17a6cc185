using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Guest;

/// <summary>
/// startup_32 of the boot path (arch/x86/boot/compressed/head_64.S's job): identity-map the first 4 GiB
/// with 2 MiB pages (the top GiB, with the local APIC, uncached) except the IST area, which gets 4 KiB pages
/// with its guard pages and DB2 hole not present (like Linux's cpu_entry_area, facts B5/B6), CR4.PAE, CR3,
/// EFER.LME, CR0.PG, then a far jump to startup_64.
/// </summary>
internal static class Head32
{
    /// <summary>Assembles startup_32.</summary>
    /// <returns>The bytes and symbols.</returns>
    public static (byte[] Bytes, List<KernelSymbol> Symbols) Build()
    {
        var maxSize = (int)(KernelLayout.TrampolineImage - KernelLayout.Head32);
        var c = new CodeChunk("head_32", 32, KernelLayout.Head32, 0, maxSize);
        var a = c.A;
        const uint pml4 = (uint)KernelLayout.PageTables;
        const uint pdpt = pml4 + 0x1000;
        const uint pd = pml4 + 0x2000;

        c.Function("startup_32");
        a.mov(eax, 0x18u);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(fs, ax);
        a.mov(gs, ax);
        a.mov(esp, (uint)KernelLayout.BootSector);
        a.cld();
        a.mov(edi, pml4);
        a.mov(ecx, (uint)(KernelLayout.IstPageTables + 0x2000 - KernelLayout.PageTables) / 4);
        a.xor(eax, eax);
        a.rep.stosd();
        a.mov(__dword_ptr[pml4], pdpt | 3);
        for (uint i = 0; i < 4; i++)
        {
            a.mov(__dword_ptr[pdpt + (i * 8)], (pd + (i * 0x1000)) | 3);
        }

        // 2048 large pages: P | RW | PS.
        a.mov(edi, pd);
        a.mov(eax, 0x83u);
        a.mov(ecx, 2048u);
        var fill = c.Local();
        c.Bind(fill);
        a.mov(__dword_ptr[edi], eax);
        a.add(eax, 0x200000);
        a.add(edi, 8);
        a.dec(ecx);
        a.jnz(fill);

        // The fourth GiB (local APIC, I/O APIC, firmware) uncached: PCD | PWT.
        a.mov(edi, pd + 0x3000);
        a.mov(ecx, 512u);
        var uncached = c.Local();
        c.Bind(uncached);
        a.or(__dword_ptr[edi], 0x18);
        a.add(edi, 8);
        a.dec(ecx);
        a.jnz(uncached);

        // The IST area (two 2 MiB slots) through two page tables of 4 KiB pages: P | RW ...
        const uint pt = (uint)KernelLayout.IstPageTables;
        const uint firstPde = (uint)(KernelLayout.IstStacks >> 21);
        a.mov(__dword_ptr[pd + (firstPde * 8)], pt | 3);
        a.mov(__dword_ptr[pd + ((firstPde + 1) * 8)], (pt + 0x1000) | 3);
        a.mov(edi, pt);
        a.mov(eax, (uint)KernelLayout.IstStacks | 3);
        a.mov(ecx, 1024u);
        var small = c.Local();
        c.Bind(small);
        a.mov(__dword_ptr[edi], eax);
        a.add(eax, 0x1000);
        a.add(edi, 8);
        a.dec(ecx);
        a.jnz(small);

        // ... then every CPU's guard pages, DB2 hole and NMI demand page not present.
        a.mov(edi, pt);
        a.mov(ecx, (uint)KernelLayout.MaxCpus);
        var guards = c.Local();
        c.Bind(guards);
        foreach (var offset in KernelLayout.GuardPageOffsets.Append(KernelLayout.NmiFaultPageOffset))
        {
            a.and(__dword_ptr[edi + (int)((offset >> 12) * 8)], ~1);
        }

        a.add(edi, (int)((KernelLayout.IstStride >> 12) * 8));
        a.dec(ecx);
        a.jnz(guards);

        a.mov(eax, cr4);
        a.or(eax, 0x20); // PAE
        a.mov(cr4, eax);
        a.mov(eax, pml4);
        a.mov(cr3, eax);
        a.mov(ecx, 0xC0000080u);
        a.rdmsr();
        a.or(eax, 0x100); // LME
        a.wrmsr();
        a.mov(eax, cr0);
        a.or(eax, unchecked((int)0x80010001)); // PG | WP | PE
        a.mov(cr0, eax);
        var target = BitConverter.GetBytes((uint)KernelLayout.Kernel64);
        a.db(0xEA, target[0], target[1], target[2], target[3], 0x10, 0x00); // ljmp __KERNEL_CS:startup_64
        return c.Assemble();
    }
}
