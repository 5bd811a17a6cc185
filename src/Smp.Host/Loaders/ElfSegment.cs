namespace Smp.Host.Loaders;

/// <summary>One PT_LOAD program header of an ELF file.</summary>
/// <param name="Index">The program header's index (for messages).</param>
/// <param name="VirtualAddress">p_vaddr.</param>
/// <param name="PhysicalAddress">p_paddr: where a boot loader puts the segment.</param>
/// <param name="FileOffset">p_offset.</param>
/// <param name="FileSize">p_filesz: bytes copied from the file.</param>
/// <param name="MemorySize">p_memsz: bytes the segment occupies; the rest past p_filesz is zero (bss).</param>
internal sealed record ElfSegment(int Index, ulong VirtualAddress, ulong PhysicalAddress, ulong FileOffset, ulong FileSize, ulong MemorySize);
