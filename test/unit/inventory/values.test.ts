import { describe, expect, it } from 'vitest';
import { MalformedHostError } from '../../../src/host/errors.js';
import {
  parseBareHexId,
  parseDecimal,
  parseDriverLink,
  parseDriverOverride,
  parseHexId,
  parseHexRegister,
  parseIommuGroupLink,
  parseMac,
  parseModuleBool,
  parseSignedDecimal,
  parseVirtfnLink,
  parseZeroOne,
} from '../../../src/inventory/values.js';

const P = '/sys/bus/pci/devices/0000:3b:00.0/x';

/** The error a parser throws, so its path and expectation can be checked. */
function failure(fn: () => unknown): MalformedHostError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MalformedHostError) return err;
    throw err;
  }
  throw new Error('expected the parser to refuse the value');
}

describe('value parsers', () => {
  it('parses 0x%04x IDs and 0x%06x classes as sysfs prints them', () => {
    expect(parseHexId('0x8086\n', P)).toBe('8086');
    expect(parseHexId('0x15B3\n', P)).toBe('15b3');
    expect(parseHexId('0x020000\n', P, 6)).toBe('020000');
  });

  it('refuses garbage IDs, naming the path and the expected format', () => {
    const err = failure(() => parseHexId('0xzz\n', P));
    expect(err.path).toBe(P);
    expect(err.message).toBe(`${P}: expected a hex ID like 0x0000, found "0xzz"`);
    expect(() => parseHexId('8086\n', P)).toThrow(MalformedHostError); // no 0x: that is sriov_vf_device's format
    expect(() => parseHexId('0x123456\n', P)).toThrow(MalformedHostError);
  });

  it('parses sriov_vf_device, which has no 0x and no padding', () => {
    expect(parseBareHexId('154c\n', P)).toBe('154c');
    expect(parseBareHexId('10\n', P)).toBe('0010');
    expect(() => parseBareHexId('0x154c\n', P)).toThrow(/bare hex device ID/);
  });

  it('parses decimals strictly: one trailing newline, nothing else', () => {
    expect(parseDecimal('64\n', P)).toBe(64);
    expect(parseDecimal('0', P)).toBe(0);
    expect(() => parseDecimal('abc\n', P)).toThrow(
      /expected an unsigned decimal number, found "abc"/,
    );
    expect(() => parseDecimal(' 8\n', P)).toThrow(MalformedHostError);
    expect(() => parseDecimal('-1\n', P)).toThrow(MalformedHostError);
    expect(parseSignedDecimal('-1\n', P)).toBe(-1);
    expect(() => parseSignedDecimal('1.5\n', P)).toThrow(MalformedHostError);
  });

  it('parses flags and module booleans', () => {
    expect(parseZeroOne('1\n', P)).toBe(true);
    expect(parseZeroOne('0\n', P)).toBe(false);
    expect(() => parseZeroOne('yes\n', P)).toThrow(MalformedHostError);
    expect(parseModuleBool('Y\n', P)).toBe(true);
    expect(parseModuleBool('N\n', P)).toBe(false);
    expect(() => parseModuleBool('maybe\n', P)).toThrow(MalformedHostError);
  });

  it('reads driver_override "(null)" as unset', () => {
    expect(parseDriverOverride('(null)\n', P)).toBeNull();
    expect(parseDriverOverride('vfio-pci\n', P)).toBe('vfio-pci');
    expect(() => parseDriverOverride('bad name\n', P)).toThrow(MalformedHostError);
  });

  it('parses links by their shape, not their depth', () => {
    expect(parseDriverLink('../../../../bus/pci/drivers/i40e', P)).toBe('i40e');
    expect(parseDriverLink('../../../bus/pci/drivers/vfio-pci', P)).toBe('vfio-pci');
    expect(() => parseDriverLink('../../../module/i40e', P)).toThrow(/drivers\/<name>/);
    expect(parseIommuGroupLink('../../../../kernel/iommu_groups/27', P)).toBe(27);
    expect(() => parseIommuGroupLink('../../../kernel/iommu_groups/x', P)).toThrow(
      MalformedHostError,
    );
    expect(parseVirtfnLink('../0000:3b:02.0', P)).toBe('0000:3b:02.0');
    expect(() => parseVirtfnLink('../../../kernel/something', P)).toThrow(/sibling PCI device/);
  });

  it('parses MAC addresses and IOMMU registers', () => {
    expect(parseMac('3C:FD:FE:A0:00:01\n', P)).toBe('3c:fd:fe:a0:00:01');
    expect(() => parseMac('not-a-mac\n', P)).toThrow(MalformedHostError);
    expect(parseHexRegister('f050da\n', P)).toBe(0xf050dan);
    expect(() => parseHexRegister('zz\n', P)).toThrow(MalformedHostError);
  });
});
