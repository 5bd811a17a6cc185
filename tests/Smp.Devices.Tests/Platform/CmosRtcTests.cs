using Smp.Devices.Platform;

namespace Smp.Devices.Tests.Platform;

public sealed class CmosRtcTests
{
    private static readonly DateTime Start = new(2024, 3, 15, 13, 45, 30, DateTimeKind.Utc);
    private const ulong MiB = 1024 * 1024;

    private static (CmosRtc Rtc, PortBus Bus) Create(ulong ram, int cpus = 4)
    {
        var map = new MemoryMap(ram);
        var rtc = new CmosRtc(map.RamBelow4G, map.RamAbove4G, cpus, Start);
        var bus = new PortBus();
        rtc.AttachTo(bus);
        return (rtc, bus);
    }

    private static byte Read(PortBus bus, byte index)
    {
        bus.Out(0x70, 1, index);
        return (byte)bus.In(0x71, 1);
    }

    [Fact]
    public void IndexBit7MasksNmiAndShutdownByteRoundTrips()
    {
        var (rtc, bus) = Create(128 * MiB);
        Assert.False(rtc.NmiMasked);
        bus.Out(0x70, 1, 0x8F); // NMI off, index 0x0F — what Linux's warm-reset path writes
        Assert.True(rtc.NmiMasked);
        bus.Out(0x71, 1, 0x0A);
        Assert.Equal(0x0A, rtc.ShutdownStatus);
        bus.Out(0x70, 1, 0x0F);
        Assert.False(rtc.NmiMasked);
        Assert.Equal(0x0Au, bus.In(0x71, 1));
    }

    [Fact]
    public void MemorySizeBytesFor128MiB()
    {
        var (_, bus) = Create(128 * MiB, cpus: 4);
        Assert.Equal(0x80, Read(bus, 0x15)); // 640 KiB = 0x0280
        Assert.Equal(0x02, Read(bus, 0x16));
        Assert.Equal(0xFF, Read(bus, 0x17)); // 127 MiB in KiB exceeds 0xFFFF, so capped
        Assert.Equal(0xFF, Read(bus, 0x18));
        Assert.Equal(0xFF, Read(bus, 0x30));
        Assert.Equal(0xFF, Read(bus, 0x31));
        Assert.Equal(0x00, Read(bus, 0x34)); // (128 − 16) MiB / 64 KiB = 1792 = 0x0700
        Assert.Equal(0x07, Read(bus, 0x35));
        Assert.Equal(0, Read(bus, 0x5B) | Read(bus, 0x5C) | Read(bus, 0x5D));
        Assert.Equal(3, Read(bus, 0x5F));
    }

    [Fact]
    public void MemorySizeBytesFor5GiBSplitAroundThePciHole()
    {
        var (_, bus) = Create(5UL * 1024 * MiB);
        Assert.Equal(0xBF00, Read(bus, 0x34) | Read(bus, 0x35) << 8); // (3 GiB − 16 MiB) / 64 KiB
        Assert.Equal(0x8000, Read(bus, 0x5B) | Read(bus, 0x5C) << 8 | Read(bus, 0x5D) << 16); // 2 GiB / 64 KiB
    }

    [Fact]
    public void SmallRamExtendedMemoryIsNotCapped()
    {
        var (_, bus) = Create(32 * MiB);
        Assert.Equal(31 * 1024, Read(bus, 0x17) | Read(bus, 0x18) << 8);
        Assert.Equal(256, Read(bus, 0x34) | Read(bus, 0x35) << 8);
    }

    [Fact]
    public void ChecksumCoversBytes10To2D()
    {
        var (rtc, bus) = Create(128 * MiB);
        int sum = 0;
        for (byte i = 0x10; i <= 0x2D; i++) sum += Read(bus, i);
        Assert.NotEqual(0, sum);
        Assert.Equal(sum, Read(bus, 0x2E) << 8 | Read(bus, 0x2F));

        rtc.Poke(0x14, 0x06);
        rtc.UpdateChecksum();
        Assert.Equal(sum + 6, Read(bus, 0x2E) << 8 | Read(bus, 0x2F));
    }

    [Fact]
    public void ClockReadsBcdFromStartPlusSimulatedTime()
    {
        var (rtc, bus) = Create(128 * MiB);
        rtc.AdvanceTo(2_500_000_000); // 2.5 s
        Assert.Equal(0x32, Read(bus, 0x00));
        Assert.Equal(0x45, Read(bus, 0x02));
        Assert.Equal(0x13, Read(bus, 0x04));
        Assert.Equal(0x06, Read(bus, 0x06)); // Friday
        Assert.Equal(0x15, Read(bus, 0x07));
        Assert.Equal(0x03, Read(bus, 0x08));
        Assert.Equal(0x24, Read(bus, 0x09));
        Assert.Equal(0x20, Read(bus, 0x32));
        Assert.Equal(0x26, Read(bus, 0x0A)); // UIP clear mid-second
        Assert.Equal(0x02, Read(bus, 0x0B)); // 24-hour, BCD
        Assert.Equal(0x80, Read(bus, 0x0D)); // VRT
    }

    [Fact]
    public void BinaryAndTwelveHourModesAndUip()
    {
        var (rtc, bus) = Create(128 * MiB);
        rtc.AdvanceTo(999_900_000); // within the 244 µs before the update
        Assert.Equal(0xA6, Read(bus, 0x0A));

        bus.Out(0x70, 1, 0x0B); bus.Out(0x71, 1, 0x06); // binary, 24-hour
        Assert.Equal(30, Read(bus, 0x00));
        Assert.Equal(13, Read(bus, 0x04));
        bus.Out(0x70, 1, 0x0B); bus.Out(0x71, 1, 0x00); // BCD, 12-hour
        Assert.Equal(0x81, Read(bus, 0x04)); // 1 PM
    }

    [Fact]
    public void SettingTheClockWhileSetHoldsIt()
    {
        var (rtc, bus) = Create(128 * MiB);
        bus.Out(0x70, 1, 0x0B); bus.Out(0x71, 1, 0x82); // SET
        bus.Out(0x70, 1, 0x02); bus.Out(0x71, 1, 0x59); // 59 minutes
        rtc.AdvanceTo(5_000_000_000);
        Assert.Equal(0x30, Read(bus, 0x00)); // held
        bus.Out(0x70, 1, 0x0B); bus.Out(0x71, 1, 0x02); // release
        rtc.AdvanceTo(7_000_000_000);
        Assert.Equal(0x32, Read(bus, 0x00));
        Assert.Equal(0x59, Read(bus, 0x02));
    }
}
