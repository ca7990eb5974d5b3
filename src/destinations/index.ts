export * from './destination';
export * from './opensearch';
export * from './redshift';
