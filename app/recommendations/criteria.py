"""Which Table 5.1 strategies help a partnership with each typology criterion it lacks.

Keyed by the structural item ids of the core questionnaire, both versions (the criteria of
Townsley et al. and Gaster et al., section 2.3 of the review); values are strategy ids in
strategies.yaml, the most direct first. For a fact that counts against a level ("each agency
pays for its own part"), the strategies are those that would change it. docs/method.md lists
the mapping; a test checks that every Townsley and Gaster criterion of the core instrument is
mapped and every id exists. A criterion another instrument adds without a mapping simply yields
no recommendation, and a strategy that does not fit the board (matching.fits) is skipped."""

CRITERION_STRATEGIES: dict[str, tuple[str, ...]] = {
    # Townsley et al.: coordinated working.
    "pr_meet_set_goals": ("comms_frequent_opportunities", "plan_support_structures"),
    "pr_multi_agency_panel": ("plan_support_structures", "plan_task_groups"),
    "pr_single_agency_focus": ("purpose_shared_targets", "purpose_shared_vision_scope"),
    "pr_little_coordination": ("purpose_coordination_guidelines", "plan_support_structures"),
    # Townsley et al.: integrated working.
    "st_pooled_budget": ("fund_pooled_budgets", "fund_written_agreements"),
    "st_single_agency_funding": ("fund_pooled_budgets", "fund_stable_and_equal"),
    "st_key_workers": ("purpose_coordination_guidelines", "roles_clear_role_each_worker"),
    "pr_services_synthesised": ("purpose_coordination_guidelines", "staff_co_location"),
    "pr_own_services": ("purpose_coordination_guidelines", "plan_documented_model"),
    "pr_user_focus": ("plan_consult_service_users", "plan_service_user_representation"),
    "st_operational_team": ("time_team_building_trust", "comms_shared_language"),
    "pr_roles_blur": ("roles_boundary_crossing", "underst_cross_boundaries"),
    # Gaster et al., rung 1: information exchange.
    "pr_g1_mutual_learning": ("trust_share_skills_gaps", "underst_joint_training_forums"),
    "pr_g1_know_partners": ("underst_secondments_presentations", "underst_joint_training_forums"),
    "pr_g1_open_decisions": ("trust_close_relationships", "gov_consistent_decision_making"),
    "pr_g1_access_information": ("comms_info_sharing_protocols", "underst_practical_guides"),
    # Rung 2: planning action.
    "pr_g2_joint_needs": ("purpose_needs_analysis", "plan_consult_service_users"),
    "pr_g2_debate_priorities": ("comms_frequent_opportunities", "plan_consult_service_users"),
    "pr_g2_agreed_contributions": ("purpose_clarify_roles", "roles_clarify_at_start"),
    "pr_g2_decided_actions": ("purpose_articulate_goals", "time_planning_implementation"),
    "pr_g2_new_partners_needed": ("plan_agency_checklist", "plan_balanced_membership"),
    # Rung 3: implementing projects and service plans.
    "pr_g3_agreed_plan": ("plan_task_groups", "time_planning_implementation"),
    "pr_g3_monitoring": ("perf_joint_review", "perf_aims_joint_indicators"),
    "pr_g3_feedback": ("perf_joint_review", "trust_close_relationships"),
    # Rung 4: coordination and co-operation in practice.
    "pr_g4_coordination_process": ("plan_support_structures", "fund_management_admin"),
    "pr_g4_coordinator_knows": ("fund_management_admin", "staff_support_leaders_delegate"),
    "pr_g4_draws_on_partners": ("underst_recognise_unique_roles", "purpose_clarify_roles"),
    "pr_g4_nurtures_culture": ("underst_prioritise_culture", "underst_culturally_aware_leader"),
    "pr_g4_new_partners": ("plan_agency_checklist", "plan_balanced_membership"),
    # Rung 5: collaboration and full partnership.
    "pr_g5_distinct_roles": ("roles_clear_role_each_worker", "roles_respect_expertise_diversity"),
    "pr_g5_shared_values": ("purpose_inspiring_vision_values", "commit_share_goals_visions"),
    "pr_g5_shared_agenda": ("purpose_shared_vision_scope", "purpose_shared_targets"),
    "pr_g5_pooled_resources": ("fund_pooled_budgets", "trust_shared_vision_equal_res"),
    "pr_g5_blurred_boundaries": ("roles_boundary_crossing", "underst_cross_boundaries"),
    "pr_g5_keeps_developing": ("perf_joint_review", "plan_shared_protocols"),
    "pr_g5_less_powerful": ("roles_parity_of_seniority", "plan_purposeful_representation"),
    # Version 1's criteria that version 2 split or reworded.
    "pr_autonomous": ("purpose_shared_targets", "purpose_coordination_guidelines"),
    "pr_separate_assessment": ("comms_frequent_opportunities", "plan_support_structures"),
    "pr_team_blurred_roles": ("roles_boundary_crossing", "time_reflect_on_identities"),
    "pr_g4_coordinator_overview": ("fund_management_admin", "staff_support_leaders_delegate"),
}
