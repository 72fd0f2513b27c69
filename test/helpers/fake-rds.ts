/** A small stand-in for the two RDS calls the rotation function makes (no RDS exists here). */
import type { RdsApi, RdsCluster, RdsInstance } from '../../rotation/master-secret.js';

export class FakeRds implements RdsApi {
  readonly calls: { operation: 'DescribeDBInstances' | 'DescribeDBClusters'; identifier: string }[] = [];
  readonly instances = new Map<string, RdsInstance>();
  readonly clusters = new Map<string, RdsCluster>();

  describeDBInstances(input: { DBInstanceIdentifier: string }): Promise<{ DBInstances?: RdsInstance[] }> {
    this.calls.push({ operation: 'DescribeDBInstances', identifier: input.DBInstanceIdentifier });
    const instance = this.instances.get(input.DBInstanceIdentifier);
    if (!instance) return Promise.reject(notFound('DBInstanceNotFoundFault', input.DBInstanceIdentifier));
    return Promise.resolve({ DBInstances: [instance] });
  }

  describeDBClusters(input: { DBClusterIdentifier: string }): Promise<{ DBClusters?: RdsCluster[] }> {
    this.calls.push({ operation: 'DescribeDBClusters', identifier: input.DBClusterIdentifier });
    const cluster = this.clusters.get(input.DBClusterIdentifier);
    if (!cluster) return Promise.reject(notFound('DBClusterNotFoundFault', input.DBClusterIdentifier));
    return Promise.resolve({ DBClusters: [cluster] });
  }
}

function notFound(name: string, identifier: string): Error {
  const error = new Error(`${identifier} not found`);
  error.name = name;
  return error;
}
