using System.Buffers.Binary;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Platform.Bios;

/// <summary>
/// Builds test disk images with Iced: sector 0 is a loader that records its entry state, reads the body (sectors 1…K)
/// to 0000:7E00 with INT 13h AH=02h (CHS) and jumps there; every other sector holds a pattern: its LBA as a dword,
/// then bytes (lba × 7 + i).
/// </summary>
internal static class GuestDisk
{
    public const ushort BodyAddress = 0x7E00;

    // Where the loader records its entry state.
    public const ulong EntryDx = 0x600, EntrySp = 0x602, EntrySs = 0x604, EntryDs = 0x606, EntryEs = 0x608, EntryIp = 0x60A, LoaderAx = 0x60C;

    public static byte PatternByte(ulong lba, int i) => i < 4 ? (byte)(lba >> (8 * i)) : (byte)(lba * 7 + (ulong)i);

    public static byte[] Sector(ulong lba)
    {
        byte[] s = new byte[512];
        for (int i = 0; i < 512; i++) s[i] = PatternByte(lba, i);
        return s;
    }

    public static byte[] Build(Action<Assembler> body, int sectors = 2048)
    {
        byte[] code = Assemble(BodyAddress, body);
        int k = (code.Length + 511) / 512;
        Assert.InRange(k, 1, 62);
        byte[] image = new byte[sectors * 512];
        for (int s = 0; s < sectors; s++)
            for (int i = 0; i < 512; i++) image[s * 512 + i] = PatternByte((ulong)s, i);
        byte[] loader = Assemble(0x7C00, a => Loader(a, k));
        Assert.True(loader.Length <= 510);
        Array.Clear(image, 0, 512);
        loader.CopyTo(image, 0);
        image[510] = 0x55; image[511] = 0xAA;
        Array.Clear(image, 512, k * 512);
        code.CopyTo(image, 512);
        return image;
    }

    public static byte[] Assemble(ulong ip, Action<Assembler> build)
    {
        var a = new Assembler(16);
        build(a);
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), ip);
        return stream.ToArray();
    }

    private static void Loader(Assembler a, int sectors)
    {
        Label here = a.CreateLabel(), fail = a.CreateLabel();
        a.mov(__word_ptr[(int)EntryDx], dx);
        a.mov(__word_ptr[(int)EntrySp], sp);
        a.mov(__word_ptr[(int)EntrySs], ss);
        a.mov(__word_ptr[(int)EntryDs], ds);
        a.mov(__word_ptr[(int)EntryEs], es);
        a.call(here);
        a.Label(ref here);
        a.pop(ax);
        a.mov(__word_ptr[(int)EntryIp], ax);
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ax, (ushort)(0x0200 | sectors));
        a.mov(cx, 0x0002);
        a.mov(dh, 0);
        a.mov(bx, BodyAddress);
        a.@int(0x13);
        a.jc(fail);
        a.mov(__word_ptr[(int)LoaderAx], ax);
        a.jmp((ulong)BodyAddress);
        a.Label(ref fail);
        Exit(a, 0x7F);
    }

    /// <summary>OUT 0xF4 with <paramref name="code"/>, then CLI; HLT.</summary>
    public static void Exit(Assembler a, byte code)
    {
        Label halt = a.CreateLabel();
        a.mov(al, code);
        a.@out(0xF4, al);
        a.Label(ref halt);
        a.cli();
        a.hlt();
        a.jmp(halt);
    }

    /// <summary>Stores AX at <paramref name="address"/> and FLAGS at <paramref name="address"/> + 2.</summary>
    public static void SaveAxFlags(Assembler a, int address)
    {
        a.mov(__word_ptr[address], ax);
        a.pushf();
        a.pop(__word_ptr[address + 2]);
    }

    /// <summary>Writes a string to COM1 with OUT DX, AL.</summary>
    public static void Print(Assembler a, string text)
    {
        a.mov(dx, 0x3F8);
        foreach (char c in text)
        {
            a.mov(al, (byte)c);
            a.@out(dx, al);
        }
    }

    /// <summary>Builds an INT 13h extension packet at <paramref name="at"/>.</summary>
    public static void Packet(Assembler a, int at, ushort count, ushort segment, ushort offset, ulong lba, byte size = 0x10, ulong flat = 0)
    {
        a.mov(__byte_ptr[at], size);
        a.mov(__byte_ptr[at + 1], 0);
        a.mov(__word_ptr[at + 2], count);
        a.mov(__word_ptr[at + 4], offset);
        a.mov(__word_ptr[at + 6], segment);
        a.mov(__dword_ptr[at + 8], (uint)lba);
        a.mov(__dword_ptr[at + 12], (uint)(lba >> 32));
        a.mov(__dword_ptr[at + 16], (uint)flat);
        a.mov(__dword_ptr[at + 20], (uint)(flat >> 32));
    }

    public static byte[] ExpectedSectors(ulong lba, int count)
    {
        byte[] b = new byte[count * 512];
        for (int s = 0; s < count; s++) Sector(lba + (ulong)s).CopyTo(b, s * 512);
        return b;
    }

    public static ushort ReadWord(byte[] b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at));
}
