import { NodeRecord } from '../../lib/engine/state/node-record';
import { metadata } from '../../lib/engine/views';
import { isLive } from '../../lib/engine/discovery/discovery';
import type { NodeStatus } from '../../lib/engine';

describe('NodeMetadata status', () => {
  const seen = (status: NodeStatus) => {
    const record = new NodeRecord('n1', '10.0.0.1:7946', 1);
    record.vitals.status = status;
    return metadata(record);
  };

  it('says unreachable only for an unreachable node, and live only for an alive one', () => {
    expect(seen('pending')).toMatchObject({ status: 'pending', unreachable: false, left: false });
    expect(seen('alive')).toMatchObject({ status: 'alive', unreachable: false, left: false });
    expect(seen('unreachable')).toMatchObject({ status: 'unreachable', unreachable: true });
    expect(seen('left')).toMatchObject({ status: 'left', unreachable: false });
    expect(
      (['pending', 'alive', 'unreachable', 'left'] as const).filter((s) => isLive(seen(s))),
    ).toEqual(['alive']);
  });
});
