"""Which Table 5.1 strategies help a partnership meet each typology criterion it is missing.

Keyed by the core questionnaire's structural item ids (the criteria of Townsley et al. and
Gaster et al., section 2.3 of the review); values are strategy ids in strategies.yaml, the
most direct first. docs/method.md lists the mapping with the reasoning; a test checks that
every Townsley and Gaster criterion of the core instrument is mapped and every id exists.
A criterion another instrument adds without a mapping simply yields no recommendation."""

CRITERION_STRATEGIES: dict[str, tuple[str, ...]] = {
    # Townsley et al.: coordinated working.
    "pr_separate_assessment": ("comms_frequent_opportunities", "plan_support_structures"),
    "pr_multi_agency_panel": ("plan_support_structures", "plan_task_groups"),
    # Townsley et al.: integrated working (the pooled budget and the team with blurred roles
    # are also Gaster rung 5).
    "st_pooled_budget": ("fund_pooled_budgets", "fund_written_agreements"),
    "st_key_workers": ("purpose_coordination_guidelines", "roles_clear_role_each_worker"),
    "pr_services_synthesised": ("purpose_coordination_guidelines", "staff_co_location"),
    "pr_user_focus": ("plan_consult_service_users", "plan_service_user_representation"),
    "pr_team_blurred_roles": ("roles_boundary_crossing", "time_reflect_on_identities"),
    # Gaster et al., rung 1: information exchange.
    "pr_g1_know_partners": ("underst_secondments_presentations", "underst_joint_training_forums"),
    "pr_g1_open_decisions": ("trust_close_relationships", "gov_consistent_decision_making"),
    # Rung 2: planning action.
    "pr_g2_joint_needs": ("purpose_needs_analysis", "plan_consult_service_users"),
    "pr_g2_agreed_contributions": ("purpose_clarify_roles", "roles_clarify_at_start"),
    # Rung 3: implementing projects and service plans.
    "pr_g3_agreed_plan": ("plan_task_groups", "time_planning_implementation"),
    "pr_g3_monitoring": ("perf_joint_review", "perf_aims_joint_indicators"),
    # Rung 4: coordination and co-operation in practice.
    "pr_g4_coordinator_overview": ("fund_management_admin", "staff_support_leaders_delegate"),
    "pr_g4_new_partners": ("plan_agency_checklist", "plan_balanced_membership"),
    # Rung 5: collaboration and full partnership.
    "pr_g5_less_powerful": ("roles_parity_of_seniority", "plan_purposeful_representation"),
}
